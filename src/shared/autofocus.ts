/**
 * Autofocus as data: settings (persisted as JSON in the data folder), the single-shot estimate of a frame, the result
 * of a run, and a history row. Pure (zod only): bundled into the renderer too. Lengths in um; defocus d = z - z_focus,
 * autofocus moves by -d.
 */
import { z } from 'zod';

const um = z.number().finite();

/** 3x3 per-region defocus (um), row-major from the top-left of the image; null where a region had no usable patch. */
export const RegionMap = z.array(z.array(um.nullable()).length(3)).length(3);
export type RegionMap = z.infer<typeof RegionMap>;

export const AutofocusMethod = z.enum(['net', 'sweep', 'coarse-to-fine']);
export type AutofocusMethod = z.infer<typeof AutofocusMethod>;

/** Who decided the final position: the network alone, the classic search the network fell back to, or a classic run. */
export const DecidedBy = z.enum(['net', 'net+refine', 'net+fallback', 'sweep', 'coarse-to-fine', 'none']);
export type DecidedBy = z.infer<typeof DecidedBy>;

export const AutofocusOutcome = z.enum([
  'focused', // |residual| <= tolerance (net) or the classic fit was applied
  'step-limit', // the step limit was reached with the residual still above tolerance
  'no-content', // no focusable content in the field: nothing was moved
  'model-mismatch', // the model was trained for another optical setup: nothing was moved
  'no-model', // no model for this setup
  'stage-error', // the stage refused or failed a move
  'camera-error', // a frame could not be captured
  'cancelled',
]);
export type AutofocusOutcome = z.infer<typeof AutofocusOutcome>;

/**
 * The camera's view of blank glass (autofocus/white-reference.ts): its linear colour at the centre of the field
 * (0..1 of full scale per channel) and the exposure it was taken at, so that later exposures scale it.
 */
export const WhiteReference = z
  .object({
    glassRgb: z.tuple([z.number().gt(0).max(1), z.number().gt(0).max(1), z.number().gt(0).max(1)]),
    /** 0 when unknown (an image file): frames are then taken to be at the same exposure. */
    exposureMs: z.number().min(0).max(60_000),
    takenAt: z.string().datetime(),
    /** The camera it was taken with ("kind: name"): another camera's frames are not balanced by it. */
    camera: z.string().min(1).max(300),
    /**
     * What the glass was: a field of blank glass (the default, and what references before this field were), or the
     * glass seen between the sample in frames read near focus (autofocus.whiteReference.fromGlass).
     */
    source: z.enum(['blank glass', 'glass in view']).optional(),
  })
  .strict();
export type WhiteReference = z.infer<typeof WhiteReference>;

export const AutofocusSettings = z
  .object({
    /** Stop when the verified |d| is at most this (um). */
    toleranceUm: um.positive().max(10).default(0.25),
    /** Largest single move (um); bigger predictions are clamped to it. */
    maxMoveUm: um.positive().max(1000).default(30),
    /** Most moves the network may make in one run. */
    stepLimit: z.number().int().min(1).max(10).default(3),
    /** Model id or path; null = the registry's model for the current optical setup. */
    model: z.string().min(1).max(4096).nullable().default(null),
    /** Fall back to a short classic search when the network is unsure or the verify step disagrees. */
    fallback: z.boolean().default(true),
    /** Estimates below this confidence (0..1) count as unsure. */
    confidenceThreshold: z.number().min(0).max(1).default(0.35),
    /** Time limit of the fallback search (ms). */
    fallbackTimeLimitMs: z.number().int().min(1000).max(300_000).default(30_000),
    /** Most patches inferred per frame (the best-content ones, spread over the 3x3 regions). */
    maxPatches: z.number().int().min(1).max(512).default(16),
    /** Run with a model made for another optical setup (the operator takes responsibility). */
    allowModelMismatch: z.boolean().default(false),
    /** Blank glass as this camera sees it: frames are balanced to the models' glass colour and level; null = as they come. */
    whiteReference: WhiteReference.nullable().default(null),
  })
  .strict();
export type AutofocusSettings = z.infer<typeof AutofocusSettings>;
export type AutofocusSettingsInput = z.input<typeof AutofocusSettings>;
export const DEFAULT_AUTOFOCUS_SETTINGS: AutofocusSettings = AutofocusSettings.parse({});

/** A partial update of the settings (autofocus.settings.set). */
export const AutofocusSettingsPatch = AutofocusSettings.partial().strict();

export const PatchPrediction = z.object({
  /** The tile in frame pixels (top-left, size). */
  x: um,
  y: um,
  width: um,
  height: um,
  /** Region index 0..8, row-major. */
  region: z.number().int().min(0).max(8),
  defocusUm: um,
});
export type PatchPrediction = z.infer<typeof PatchPrediction>;

export const EstimateStatus = z.enum(['ok', 'no-content']);

const rgb = z.tuple([z.number(), z.number(), z.number()]);
/** The glass between the sample in a frame (autofocus/glass-in-view.ts). */
export const GlassInView = z.object({
  /** Linear colour, 0..1 of full scale per channel. */
  rgb,
  tiles: z.number().int().nonnegative(),
  /** The gains a white reference of this glass would apply; 1, 1, 1 within the models' training range. */
  gains: rgb,
});
export type GlassInView = z.infer<typeof GlassInView>;

export const Estimate = z.object({
  status: EstimateStatus,
  /** Combined defocus (um); null when there was no focusable content. */
  defocusUm: um.nullable(),
  /** 0..1, from the spread of the patch predictions, their number and the fraction of the field with content. */
  confidence: z.number().min(0).max(1),
  /** Robust spread of the patch predictions (1.4826 x MAD, um). */
  spreadUm: um.nonnegative().nullable(),
  patchesTotal: z.number().int().nonnegative(),
  /** Patches with usable content (the filter's verdict). */
  patchesKept: z.number().int().nonnegative(),
  /** Patches inferred and combined (kept ones, capped). */
  patchesUsed: z.number().int().nonnegative(),
  regions: RegionMap,
  patches: z.array(PatchPrediction),
  /** Why the frame was refused, in words (no-content only). */
  reason: z.string().optional(),
  /** What most refused patches were (no-content only): a blank field may only be far out of focus. */
  refusedAs: z.enum(['blank', 'noise', 'saturated', 'dark']).optional(),
  modelId: z.string(),
  /** The glass in view, when the frame shows some between its sample and no white reference was applied. */
  glass: GlassInView.nullable().optional(),
  /** What the operator could do for a better reading (a white reference when the glass is off the trained range). */
  hint: z.string().optional(),
  /** Tiling + filtering + inference + combination (ms). */
  computeMs: um.nonnegative(),
  frameWidth: z.number().int().positive(),
  frameHeight: z.number().int().positive(),
});
export type Estimate = z.infer<typeof Estimate>;

export const AutofocusMove = z.object({
  fromUm: um,
  toUm: um,
  /** What the estimate asked for (-d), before clamping. */
  requestedUm: um,
  clamped: z.boolean(),
  by: z.enum(['net', 'fallback', 'sweep', 'coarse-to-fine']),
});
export type AutofocusMove = z.infer<typeof AutofocusMove>;

export const AutofocusResult = z.object({
  outcome: AutofocusOutcome,
  message: z.string(),
  method: AutofocusMethod,
  decidedBy: DecidedBy,
  /** Why the network fell back to the classic search, when it did. */
  fallbackReason: z.string().nullable(),
  startZUm: um,
  finalZUm: um,
  moves: z.array(AutofocusMove),
  /** Frames captured (estimates and sweep planes). */
  images: z.number().int().nonnegative(),
  /** The first estimate's combined defocus and confidence (null for classic runs). */
  estimateUm: um.nullable(),
  confidence: z.number().min(0).max(1).nullable(),
  /** The last verified residual: the network's estimate after the last move, or z_final - z_focus of the classic fit. */
  residualUm: um.nullable(),
  regions: RegionMap.nullable(),
  elapsedMs: um.nonnegative(),
  /** Estimate compute (ms) per frame, mean over the run's estimates. */
  computeMsPerFrame: um.nonnegative().nullable(),
  modelId: z.string().nullable(),
  hardExample: z.boolean(),
  /** Row in the dataset's autofocus_runs; null when it could not be stored. */
  runId: z.number().int().nullable(),
  /** The run's hint: a white reference, when the glass in a frame read near focus is off the models' training range. */
  hint: z.string().optional(),
});
export type AutofocusResult = z.infer<typeof AutofocusResult>;

export const AutofocusRunInput = z
  .object({
    method: AutofocusMethod.default('net'),
    /** One-off overrides of the saved settings. */
    settings: AutofocusSettingsPatch.optional(),
  })
  .strict();
export type AutofocusRunInput = z.input<typeof AutofocusRunInput>;

export const AutofocusEstimateInput = z
  .object({
    model: z.string().min(1).max(4096).optional(),
    allowModelMismatch: z.boolean().optional(),
  })
  .strict();

export const AutofocusHistoryInput = z.object({ limit: z.number().int().min(1).max(10_000).default(200) }).strict();

export const AutofocusHistoryRow = z.object({
  id: z.number().int(),
  createdAt: z.string(),
  method: z.string(),
  modelId: z.string().nullable(),
  setupId: z.string().nullable(),
  zStartUm: um,
  zEndUm: um,
  predictedDefocusUm: um.nullable(),
  confidence: z.number().nullable(),
  residualUm: um.nullable(),
  timeMs: z.number().nullable(),
  images: z.number().int().nullable(),
  moves: z.number().int().nullable(),
  outcome: z.string().nullable(),
  hardExample: z.boolean(),
});
export type AutofocusHistoryRow = z.infer<typeof AutofocusHistoryRow>;

/** "+1.23 um" with an explicit sign: defocus and moves read better signed. */
export function formatSignedUm(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)} um`;
}
