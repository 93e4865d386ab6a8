/**
 * Dataset records exchanged between the backend and the UI/API: stacks, focus curves, QC, stats,
 * acquisition parameters and progress. Pure (no Node imports): bundled into the renderer.
 * Units: um, float64. Defocus d = z - z_focus (+z moves the objective away from the sample).
 */
import { z } from 'zod';

export const SHARPNESS_METRICS = ['normVariance', 'brenner', 'tenengrad', 'laplacianVariance'] as const;
export const SharpnessMetricSchema = z.enum(SHARPNESS_METRICS);
export type SharpnessMetric = z.infer<typeof SharpnessMetricSchema>;

export const FOCUS_FITS = ['argmax', 'parabola', 'gaussian', 'lowess'] as const;
export const FocusFitSchema = z.enum(FOCUS_FITS);
export type FocusFit = z.infer<typeof FocusFitSchema>;

/** Sharpness of one image, one value per metric (computed on the luminance). */
export const SharpnessSchema = z.object({
  normVariance: z.number(),
  brenner: z.number(),
  tenengrad: z.number(),
  laplacianVariance: z.number(),
});
export type Sharpness = z.infer<typeof SharpnessSchema>;

export const QC_FLAGS = [
  'too-few-planes', // fewer planes than the fit needs
  'peak-at-edge', // the sharpest plane is the first or last of the range: focus may be outside it
  'multiple-peaks', // more than one prominent local maximum
  'low-contrast', // peak/min sharpness ratio under the threshold: no usable focus signal
  'poor-fit', // the refined fit disagrees with the data around the peak
  'fit-off-peak', // the refined z_focus is more than one step away from the sharpest plane
] as const;
export const QcFlagSchema = z.enum(QC_FLAGS);
export type QcFlag = z.infer<typeof QcFlagSchema>;

export const QcVerdictSchema = z.enum(['pass', 'warn', 'fail']);
export type QcVerdict = z.infer<typeof QcVerdictSchema>;

/** What the operator decided about a stack; 'auto' = nobody looked at it. */
export const OperatorStatusSchema = z.enum(['auto', 'accepted', 'overridden', 'excluded']);
export type OperatorStatus = z.infer<typeof OperatorStatusSchema>;

/** Where the stack's z_focus comes from. */
export const ZFocusSourceSchema = z.enum(['fit', 'given', 'operator', 'autofocus-verified']);
export type ZFocusSource = z.infer<typeof ZFocusSourceSchema>;

export const FocusCurvePointSchema = z.object({ z: z.number(), sharpness: z.number() });
export type FocusCurvePoint = z.infer<typeof FocusCurvePointSchema>;

/** How z_focus was found: stored with the stack (focus_method JSON). */
export const FocusLabelSchema = z.object({
  metric: SharpnessMetricSchema,
  fit: FocusFitSchema,
  zFocusUm: z.number().nullable(),
  /** z of the sharpest plane. */
  zPeakUm: z.number().nullable(),
  /** Points used by the refining fit. */
  nPoints: z.number().int(),
  /** RMS residual of the fit relative to the curve's peak-to-min range (0 = perfect). */
  fitResidual: z.number().nullable(),
  /** Peak/min sharpness ratio. */
  contrast: z.number().nullable(),
  nPeaks: z.number().int(),
  qc: QcVerdictSchema,
  flags: z.array(QcFlagSchema),
});
export type FocusLabel = z.infer<typeof FocusLabelSchema>;

export const FocusCurveSchema = z.object({
  stackId: z.number().int(),
  metric: SharpnessMetricSchema,
  points: z.array(FocusCurvePointSchema),
  /** Smoothed / fitted curve for display, on a fine z grid. */
  fitted: z.array(FocusCurvePointSchema),
  label: FocusLabelSchema.nullable(),
});
export type FocusCurve = z.infer<typeof FocusCurveSchema>;

export const StackSummarySchema = z.object({
  id: z.number().int(),
  runId: z.number().int().nullable(),
  slideId: z.number().int(),
  slideName: z.string(),
  setupId: z.string(),
  positionIndex: z.number().int().nullable(),
  key: z.string().nullable(),
  xUm: z.number().nullable(),
  yUm: z.number().nullable(),
  zFocusUm: z.number().nullable(),
  zFocusSource: ZFocusSourceSchema.nullable(),
  qcVerdict: QcVerdictSchema.nullable(),
  qcFlags: z.array(QcFlagSchema),
  operatorStatus: OperatorStatusSchema,
  nImages: z.number().int(),
  zMinUm: z.number().nullable(),
  zMaxUm: z.number().nullable(),
  source: z.string(),
  state: z.enum(['acquiring', 'complete']),
  createdAt: z.string(),
});
export type StackSummary = z.infer<typeof StackSummarySchema>;

export const ImageSummarySchema = z.object({
  id: z.number().int(),
  stackId: z.number().int(),
  planeIndex: z.number().int(),
  zUm: z.number(),
  defocusUm: z.number().nullable(),
  file: z.string(),
  sha256: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  channels: z.union([z.literal(1), z.literal(3)]),
  bitDepth: z.union([z.literal(8), z.literal(12), z.literal(16)]),
  exposureMs: z.number().nullable(),
  sharpness: SharpnessSchema.nullable(),
});
export type ImageSummary = z.infer<typeof ImageSummarySchema>;

/** Operator decision on a stack (dataset browser: accept, override z_focus, exclude, reset to auto). */
export const StackDecisionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('accept'), note: z.string().optional() }),
  z.object({ action: z.literal('override'), zFocusUm: z.number(), note: z.string().optional() }),
  z.object({ action: z.literal('exclude'), note: z.string().optional() }),
  z.object({ action: z.literal('reset') }),
]);
export type StackDecision = z.infer<typeof StackDecisionSchema>;

export const SetupSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._-]+$/, 'setup id: letters, digits, . _ - only'),
  name: z.string().min(1),
  magnification: z.number().positive(),
  na: z.number().positive().max(1.7),
  immersion: z.enum(['air', 'water', 'oil', 'glycerol', 'silicone']).default('air'),
  immersionIndex: z.number().min(1).max(1.6).default(1),
  condenserSigma: z.number().min(0).max(1.5).nullable().default(null),
  cameraPixelPitchUm: z.number().positive().nullable().default(null),
  pixelSizeUm: z.number().positive(),
  camera: z.string().nullable().default(null),
  notes: z.string().nullable().default(null),
});
export type Setup = z.infer<typeof SetupSchema>;
export type SetupInput = z.input<typeof SetupSchema>;

export const SlideSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  sample: z.string().nullable(),
  stain: z.string().nullable(),
  notes: z.string().nullable(),
  createdAt: z.string(),
});
export type Slide = z.infer<typeof SlideSchema>;

export const DatasetStatsSchema = z.object({
  slides: z.number().int(),
  stacks: z.number().int(),
  images: z.number().int(),
  bySetup: z.array(
    z.object({ setupId: z.string(), name: z.string(), stacks: z.number().int(), images: z.number().int() }),
  ),
  stacksByVerdict: z.object({
    pass: z.number().int(),
    warn: z.number().int(),
    fail: z.number().int(),
    unlabelled: z.number().int(),
  }),
  stacksByOperator: z.object({
    auto: z.number().int(),
    accepted: z.number().int(),
    overridden: z.number().int(),
    excluded: z.number().int(),
  }),
  runs: z.object({ total: z.number().int(), byState: z.record(z.string(), z.number().int()) }),
  autofocusRuns: z.number().int(),
  hardExamples: z.number().int(),
  models: z.number().int(),
  schemaVersion: z.number().int(),
});
export type DatasetStats = z.infer<typeof DatasetStatsSchema>;

// ---- acquisition ---------------------------------------------------------------------------

export const ZRangeSchema = z
  .object({
    fromUm: z.number().default(-10),
    toUm: z.number().default(10),
    stepUm: z.number().positive().default(0.5),
  })
  .refine((r) => r.toUm > r.fromUm, 'range: toUm must be above fromUm')
  .refine((r) => (r.toUm - r.fromUm) / r.stepUm <= 2000, 'range: more than 2000 planes');

export const GridSchema = z.object({
  nx: z.number().int().min(1).max(1000).default(1),
  ny: z.number().int().min(1).max(1000).default(1),
  stepUm: z.number().positive().default(1000),
  /** Grid origin (um); default: the XY stage position when the run starts. */
  originXUm: z.number().optional(),
  originYUm: z.number().optional(),
});

export const AcquisitionParamsSchema = z.object({
  slideId: z.number().int(),
  setupId: z.string(),
  /** "In focus here": the planes are z0 + range. */
  z0Um: z.number(),
  range: ZRangeSchema.default({ fromUm: -10, toUm: 10, stepUm: 0.5 }),
  grid: GridSchema.optional(),
  /** Explicit lateral positions; used instead of the grid when given. */
  positions: z
    .array(z.object({ xUm: z.number(), yUm: z.number() }))
    .min(1)
    .optional(),
  /** Extra wait after each move (ms), on top of the stage's own settle time. */
  settleMs: z.number().min(0).max(60_000).default(0),
  /** Backlash-free approach: go this far below the first plane, then step upward. */
  overshootUm: z.number().min(0).max(1000).default(5),
  exposureMs: z.number().positive().optional(),
  metric: SharpnessMetricSchema.default('tenengrad'),
  fit: FocusFitSchema.default('gaussian'),
  /** 'acquired' for a real microscope, 'sim' for the virtual one. */
  source: z.enum(['acquired', 'sim']).default('acquired'),
  notes: z.string().optional(),
  /** Synthetic generation only: how the virtual microscope was set up (slide file, seed, ROI, randomisation), so a
   * resumed run renders the missing planes the same way. */
  sim: z.record(z.string(), z.unknown()).optional(),
});
export type AcquisitionParams = z.infer<typeof AcquisitionParamsSchema>;
export type AcquisitionParamsInput = z.input<typeof AcquisitionParamsSchema>;

export const RunStateSchema = z.enum(['running', 'paused', 'interrupted', 'completed', 'cancelled', 'failed']);
export type RunState = z.infer<typeof RunStateSchema>;

export const AcquisitionProgressSchema = z.object({
  runId: z.number().int(),
  state: RunStateSchema,
  positionIndex: z.number().int(),
  nPositions: z.number().int(),
  planeIndex: z.number().int(),
  nPlanes: z.number().int(),
  done: z.number().int(),
  total: z.number().int(),
  elapsedS: z.number(),
  etaS: z.number().nullable(),
  zUm: z.number().nullable(),
  sharpness: z.number().nullable(),
  /** Set when a stack has just been completed and labelled. */
  stack: z
    .object({
      id: z.number().int(),
      zFocusUm: z.number().nullable(),
      qc: QcVerdictSchema,
      flags: z.array(QcFlagSchema),
    })
    .optional(),
  message: z.string().optional(),
});
export type AcquisitionProgress = z.infer<typeof AcquisitionProgressSchema>;

// ---- export / import -----------------------------------------------------------------------

export const ExportProgressSchema = z.object({
  phase: z.enum(['select', 'write', 'finish']),
  done: z.number().int(),
  total: z.number().int(),
  message: z.string().optional(),
});
export type ExportProgress = z.infer<typeof ExportProgressSchema>;

export const ImportProgressSchema = z.object({
  phase: z.enum(['scan', 'check', 'store', 'label']),
  done: z.number().int(),
  total: z.number().int(),
  message: z.string().optional(),
});
export type ImportProgress = z.infer<typeof ImportProgressSchema>;
