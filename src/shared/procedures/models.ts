/** Models: list and inspect (cards), take a retrained model back, evaluate on an export, read a report. */
import { z } from 'zod';
import { procedure } from '../contract';
import { modelCardSchema } from '../model-card';
import { ModelSummary } from '../schemas/app';
import { TaskStarted } from '../schemas/task';

const ModelRef = z.string().min(1).max(4096);

export const ModelDetail = ModelSummary.extend({ cardPath: z.string(), card: modelCardSchema });

export const EvaluateInput = z
  .object({
    models: z.array(ModelRef).min(1).max(16),
    dataDir: z.string().min(1),
    reportDir: z.string().min(1).optional(),
    split: z.enum(['test', 'train', 'all']).default('test'),
  })
  .strict();

export const Report = z.object({
  dir: z.string(),
  markdown: z.string(),
  results: z.unknown(),
  plots: z.array(z.object({ name: z.string(), image: z.string().startsWith('data:image/png') })),
});
export type Report = z.infer<typeof Report>;

export const modelsProcedures = {
  'models.list': procedure({
    summary: 'Models found (user folder first, then the shipped ones), with validity',
    input: z.object({}).strict(),
    output: z.array(ModelSummary),
  }),
  'models.card': procedure({
    summary: "A model's card: architecture, optics, training data, metrics",
    input: z.object({ id: z.string().min(1) }).strict(),
    output: ModelDetail,
  }),
  'models.import': procedure({
    summary: 'Take a retrained model back: check an .onnx + card pair for real, then copy it to the user models folder',
    input: z.object({ path: z.string().min(1), replace: z.boolean().default(false) }).strict(),
    output: ModelSummary,
  }),
  'models.evaluate': procedure({
    summary: "Evaluate models on an export's test split (RMSE, focusing error, sign errors, speed) and write a report",
    input: EvaluateInput,
    output: TaskStarted,
    task: true,
  }),
  'models.report': procedure({
    summary: 'Read an evaluation report folder (Markdown, results, plots)',
    input: z.object({ dir: z.string().min(1) }).strict(),
    output: Report,
  }),
};
