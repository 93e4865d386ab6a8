/**
 * The model card: `<name>.json` beside `<name>.onnx`, written by training/ and validated by the app at load
 * (notes/formats.md). Pure: no Node imports, so the renderer can bundle it to show cards.
 */
import { z } from 'zod';

/** The only card version this app understands. */
export const MODEL_CARD_VERSION = 1;

const finite = z.number().finite();
const positive = finite.positive();
const count = z.number().int().nonnegative();
const rgbTriple = z.tuple([finite, finite, finite]);

export const modelCardInputSchema = z.object({
  name: z.string().min(1),
  layout: z.literal('NCHW'),
  dtype: z.literal('float32'),
  /** Order of the colour planes in the tensor, e.g. ["R","G","B"]; greyscale frames are replicated. */
  channels: z
    .tuple([z.enum(['R', 'G', 'B']), z.enum(['R', 'G', 'B']), z.enum(['R', 'G', 'B'])])
    .refine((c) => new Set(c).size === 3, { message: 'channels must name R, G and B once each' }),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  mean: rgbTriple,
  std: z.tuple([positive, positive, positive]),
  /**
   * The camera the model is made for: colour frames, or monochrome ones (grey replicated to R, G and B). A colour
   * model reads the side of focus partly from how stain colour and phase contrast combine, which one grey channel
   * mixes, so monochrome frames get a model trained on them where there is one (`predict`).
   */
  camera: z.enum(['colour', 'monochrome']).default('colour'),
});

export const modelCardOutputSchema = z.object({
  name: z.string().min(1),
  /** [-1, 1]: dynamic batch, one defocus value per patch. */
  shape: z.tuple([z.literal(-1), z.literal(1)]),
  unit: z.literal('um'),
  convention: z.string(),
  /**
   * What the network regresses: the signed defocus d, or its magnitude |d| (a model trained where the images carry
   * no usable cue to the side of focus). With a magnitude model the autofocus loop finds the side with its first move.
   */
  target: z.enum(['signed', 'magnitude']).default('signed'),
});

export const modelCardOpticsSchema = z.object({
  setup_id: z.string().min(1),
  magnification: positive,
  na: positive.max(1.7),
  immersion_index: positive,
  pixel_size_um: positive,
});

export const modelCardTrainingSchema = z.looseObject({
  framework: z.string(),
  command: z.string(),
  seed: z.number().int(),
  epochs: count,
  best_epoch: count,
  batch_size: z.number().int().positive(),
  optimizer: z.string(),
  lr: positive,
  scheduler: z.string(),
  final_train_loss: finite.nullable(),
  final_test_loss: finite.nullable(),
  time_s: finite.nonnegative(),
  device: z.string(),
  dataset: z.looseObject({
    export: z.string(),
    n_train: count,
    n_test: count,
    train_slides: z.array(z.string()),
    test_slides: z.array(z.string()),
    label_method: z.string(),
  }),
  /** A first stage the run started from (`training.train --init`), e.g. on rendered patches on a GPU. */
  pretraining: z
    .looseObject({
      command: z.string(),
      device: z.string(),
      time_s: finite.nonnegative(),
      dataset: z.string(),
    })
    .optional(),
});

/** Null where training did not measure it (e.g. a run exported before its first test pass). */
export const modelCardMetricsSchema = z.looseObject({
  test_rmse_um: finite.nonnegative().nullable(),
  test_mae_um: finite.nonnegative().nullable(),
  test_error_std_um: finite.nonnegative().nullable(),
  /** Share of test patches with |d| >= 1 um read on the wrong side of focus (signed models; absent before 2026-11-26). */
  test_sign_error_rate: finite.min(0).max(1).nullable().optional(),
  /** The camera the test patches were read as: a model for monochrome cameras is scored on monochrome patches. */
  frames: z.enum(['colour', 'monochrome']).optional(),
});

/** A bare file name: the ONNX file sits beside its card. */
const bareFileName = z
  .string()
  .min(1)
  .refine((f) => !/[\\/]/.test(f) && f !== '.' && f !== '..', {
    message: 'file must be a file name beside the card, not a path',
  })
  .refine((f) => f.toLowerCase().endsWith('.onnx'), { message: 'file must end in .onnx' });

export const modelCardSchema = z.looseObject({
  card_version: z.literal(MODEL_CARD_VERSION),
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'id must be letters, digits, ".", "_" or "-" (it is the file stem)'),
  name: z.string().min(1),
  architecture: z.enum(['ldse-net', 'resnet50', 'botnet']),
  file: bareFileName,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'),
  size_bytes: z.number().int().positive(),
  opset: z.number().int().min(7).max(17),
  parameters: count,
  input: modelCardInputSchema,
  output: modelCardOutputSchema,
  optics: modelCardOpticsSchema,
  training: modelCardTrainingSchema,
  metrics: modelCardMetricsSchema,
  created_at: z.iso.datetime({ offset: true, local: true }),
});

export type ModelCard = z.infer<typeof modelCardSchema>;
export type ModelCardInput = z.infer<typeof modelCardInputSchema>;
export type ModelCardOptics = z.infer<typeof modelCardOpticsSchema>;
export type ModelArchitecture = ModelCard['architecture'];

export type ModelCardProblem = 'card-version' | 'card-invalid';

/** A card that is not a valid version-1 model card. `code` says whether the version or the content is at fault. */
export class ModelCardFormatError extends Error {
  constructor(
    readonly code: ModelCardProblem,
    message: string,
  ) {
    super(message);
    this.name = 'ModelCardFormatError';
  }
}

/**
 * Checks a parsed JSON value against the version-1 schema. An unknown `card_version` is reported on its own,
 * before any field error, because a newer card is expected to differ everywhere.
 */
export function parseModelCard(raw: unknown, source = 'model card'): ModelCard {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ModelCardFormatError('card-invalid', `${source} is not a JSON object`);
  }
  const version = (raw as Record<string, unknown>).card_version;
  if (version !== MODEL_CARD_VERSION) {
    throw new ModelCardFormatError(
      'card-version',
      version === undefined
        ? `${source} has no card_version; this app reads card_version ${MODEL_CARD_VERSION}`
        : `${source} has card_version ${JSON.stringify(version)}; this app reads only card_version ${MODEL_CARD_VERSION} (update the app or re-export the model)`,
    );
  }
  const result = modelCardSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(card)'}: ${i.message}`)
      .join('; ');
    throw new ModelCardFormatError('card-invalid', `${source} is not a valid model card: ${issues}`);
  }
  return result.data;
}

/** Parses the card's JSON text (as read from `<name>.json`). */
export function parseModelCardJson(text: string, source = 'model card'): ModelCard {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ModelCardFormatError('card-invalid', `${source} is not valid JSON: ${(err as Error).message}`);
  }
  return parseModelCard(raw, source);
}
