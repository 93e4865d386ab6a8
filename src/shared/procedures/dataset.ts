/** The dataset: counts, stacks with thumbnails, focus curves, operator decisions, export and import (tasks). */
import { z } from 'zod';
import { procedure } from '../contract';
import {
  DatasetStatsSchema,
  FocusCurveSchema,
  FocusFitSchema,
  FocusLabelSchema,
  OperatorStatusSchema,
  QcVerdictSchema,
  SharpnessMetricSchema,
  SharpnessSchema,
  SlideSchema,
  StackDecisionSchema,
  StackSummarySchema,
  ZFocusSourceSchema,
} from '../dataset';
import { TaskStarted } from '../schemas/task';
import { Empty } from './common';

const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const SetupId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'setup id: letters, digits, . _ - only');
/** A file or folder on the machine running the backend. */
const ServerPath = z.string().trim().min(1, 'a path is required').max(4096);

export const StackRef = z.object({ stackId: Id }).strict();

export const DatasetInfo = z.object({
  path: z.string(),
  imagesDir: z.string(),
  schemaVersion: z.number().int(),
});

export const SetupEntry = z.object({
  id: z.string(),
  name: z.string(),
  magnification: z.number(),
  na: z.number(),
  pixelSizeUm: z.number(),
  condenserSigma: z.number().nullable(),
  /** In the dataset already; a preset-only setup is added to the dataset by the first run that uses it. */
  inDataset: z.boolean(),
  /** An optics preset of the virtual microscope (src/shared/optics.ts). */
  preset: z.boolean(),
  stacks: z.number().int(),
  images: z.number().int(),
});
export type SetupEntry = z.infer<typeof SetupEntry>;

export const StacksQuery = z
  .object({
    setupId: SetupId.optional(),
    slideId: Id.optional(),
    runId: Id.optional(),
    verdict: z.union([QcVerdictSchema, z.literal('unlabelled')]).optional(),
    operator: OperatorStatusSchema.optional(),
    offset: z.number().int().min(0).max(10_000_000).default(0),
    limit: z.number().int().min(1).max(200).default(50),
    thumbnails: z.boolean().default(true),
  })
  .strict();

export const StackRow = StackSummarySchema.extend({ thumbnail: z.string().nullable() });
export type StackRow = z.infer<typeof StackRow>;

export const StackPage = z.object({
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  stacks: z.array(StackRow),
});
export type StackPage = z.infer<typeof StackPage>;

export const StackDetail = StackSummarySchema.extend({
  label: FocusLabelSchema.nullable(),
  autoZFocusUm: z.number().nullable(),
  autoZFocusSource: ZFocusSourceSchema.nullable(),
  operatorNote: z.string().nullable(),
  z0Um: z.number().nullable(),
  /** Synthetic stacks: every rendering choice and the simulator's true focus. */
  renderParams: z.record(z.string(), z.unknown()).nullable(),
});
export type StackDetail = z.infer<typeof StackDetail>;

export const FocusCurveQuery = z.object({ stackId: Id, metric: SharpnessMetricSchema.optional() }).strict();

export const StackImage = z.object({
  id: z.number().int(),
  planeIndex: z.number().int(),
  zUm: z.number(),
  defocusUm: z.number().nullable(),
  exposureMs: z.number().nullable(),
  sharpness: SharpnessSchema.nullable(),
  /** The virtual microscope's true defocus of the plane (synthetic stacks only). */
  trueDefocusUm: z.number().nullable(),
});
export const StackImages = z.object({ stackId: z.number().int(), images: z.array(StackImage) });
export type StackImages = z.infer<typeof StackImages>;

const Note = z.string().max(2000);
export const Decision = z.discriminatedUnion('action', [
  z.object({ action: z.literal('accept'), note: Note.optional() }).strict(),
  z.object({ action: z.literal('override'), zFocusUm: z.number().finite(), note: Note.optional() }).strict(),
  z.object({ action: z.literal('exclude'), note: Note.optional() }).strict(),
  z.object({ action: z.literal('reset') }).strict(),
]) satisfies z.ZodType<z.infer<typeof StackDecisionSchema>>;
export const DecideInput = z.object({ stackId: Id, decision: Decision }).strict();

export const ExportInput = z
  .object({
    out: ServerPath,
    /** 224x224 patches instead of full frames. */
    patches: z.boolean().default(false),
    patchSize: z.number().int().min(32).max(2048).default(224),
    stride: z.number().int().min(8).max(4096).optional(),
    rejectBlank: z.boolean().default(false),
    setupId: SetupId.optional(),
    split: z.enum(['stack', 'slide']).default('stack'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(0),
    testFraction: z.number().min(0.01).max(0.5).default(0.1),
    includeExcluded: z.boolean().default(false),
    includeQcFailed: z.boolean().default(false),
    overwrite: z.boolean().default(false),
    /** Also write every exported stack as a calibrated OME-TIFF z-stack under <out>/ome-tiff/. */
    omeTiff: z.boolean().default(false),
  })
  .strict();
export type ExportInput = z.input<typeof ExportInput>;

export const ExportResult = z.object({
  out: z.string(),
  images: z.number().int(),
  train: z.number().int(),
  test: z.number().int(),
  stacks: z.number().int(),
  slides: z.number().int(),
  rejectedPatches: z.number().int(),
  omeTiffs: z.number().int(),
  skipped: z.record(z.string(), z.number().int()),
});
export type ExportResult = z.infer<typeof ExportResult>;

function validRegex(p: string): boolean {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
}

export const IMPORT_FORMATS = ['jiang2018', 'filenames', 'tiff-stack'] as const;
export const ImportInput = z
  .object({
    path: ServerPath,
    format: z.enum(IMPORT_FORMATS),
    setupId: SetupId,
    slideName: z.string().trim().min(1).max(200).optional(),
    /** jiang2018: flip the published defocus sign. */
    defocusSign: z.union([z.literal(1), z.literal(-1)]).optional(),
    /** filenames: a regex with named groups `key` and `value` (optional `slide`). */
    pattern: z
      .string()
      .min(1)
      .max(1000)
      .refine(validRegex, 'pattern is not a valid regular expression')
      .refine((p) => p.includes('(?<value>'), 'pattern needs a named group (?<value>...)')
      .optional(),
    /** filenames: the number in the name is a defocus (labels given) or a z position (labels fitted). */
    value: z.enum(['defocus', 'z']).optional(),
    /** filenames: um per unit of the number (0.001 for nm). */
    unitUm: z.number().positive().max(1e6).optional(),
    recursive: z.boolean().optional(),
    /** tiff-stack: z step between pages (um); default: the file's OME-XML. */
    stepUm: z.number().positive().max(1e4).optional(),
    zStartUm: z.number().finite().optional(),
    metric: SharpnessMetricSchema.optional(),
    fit: FocusFitSchema.optional(),
  })
  .strict();
export type ImportInput = z.input<typeof ImportInput>;

export const ImportResult = z.object({
  runId: z.number().int(),
  format: z.string(),
  images: z.number().int(),
  ignored: z.array(z.string()),
  stacks: z.array(
    z.object({
      id: z.number().int(),
      slideName: z.string(),
      key: z.string(),
      planes: z.number().int(),
      zFocusUm: z.number().nullable(),
      zFocusSource: z.string().nullable(),
      qc: QcVerdictSchema.nullable(),
      flags: z.array(z.string()),
    }),
  ),
});
export type ImportResult = z.infer<typeof ImportResult>;

export const OmeTiffInput = z.object({ stackId: Id, file: ServerPath }).strict();

export const datasetProcedures = {
  'dataset.info': procedure({
    summary: 'The dataset in use: database file and schema version',
    input: Empty,
    output: DatasetInfo,
  }),
  'dataset.stats': procedure({
    summary: 'Counts: slides, stacks, images, by setup, by QC verdict and operator decision',
    input: Empty,
    output: DatasetStatsSchema,
  }),
  'dataset.setups': procedure({
    summary: 'Optical setups: those in the dataset and the optics presets',
    input: Empty,
    output: z.array(SetupEntry),
  }),
  'dataset.slides': procedure({
    summary: 'Slides / samples in the dataset',
    input: Empty,
    output: z.array(SlideSchema),
  }),
  'dataset.stacks': procedure({
    summary: 'One page of stacks (filter by setup, slide, run, QC verdict, operator status) with thumbnails',
    input: StacksQuery,
    output: StackPage,
  }),
  'dataset.stack': procedure({
    summary: 'One stack with its label, QC and render parameters',
    input: StackRef,
    output: StackDetail,
  }),
  'dataset.focusCurve': procedure({
    summary: "A stack's focus curve: sharpness per plane, fitted curve, z_focus and QC",
    input: FocusCurveQuery,
    output: FocusCurveSchema,
  }),
  'dataset.images': procedure({
    summary: "A stack's planes: z, defocus label d = z - z_focus, sharpness",
    input: StackRef,
    output: StackImages,
  }),
  'dataset.decide': procedure({
    summary: 'Operator decision on a stack: accept, override z_focus (um), exclude, reset to automatic',
    input: DecideInput,
    output: StackDetail,
  }),
  'dataset.labelFromSimTruth': procedure({
    summary: "Synthetic stacks: label from the simulator's true best focus instead of the sharpness fit (kept as QC)",
    input: z
      .object({
        kinds: z
          .array(z.enum(['stained', 'unstained']))
          .min(1)
          .default(['unstained']),
      })
      .strict(),
    output: z.object({
      relabelled: z.number().int(),
      skipped: z.number().int(),
      fitOffsetMeanUm: z.number().nullable(),
      fitOffsetMaxUm: z.number().nullable(),
    }),
  }),
  'dataset.export': procedure({
    summary: 'Export for training (manifest.csv, dataset.json, images/): full frames or patches, split by stack/slide',
    input: ExportInput,
    output: TaskStarted,
    task: true,
  }),
  'dataset.import': procedure({
    summary: 'Import a foreign layout (jiang2018, filenames, tiff-stack), all or nothing',
    input: ImportInput,
    output: TaskStarted,
    task: true,
  }),
  'dataset.exportStackOmeTiff': procedure({
    summary: 'Write one stack as a calibrated multi-page OME-TIFF z-stack',
    input: OmeTiffInput,
    output: z.object({ file: z.string(), planes: z.number().int() }),
  }),
};
