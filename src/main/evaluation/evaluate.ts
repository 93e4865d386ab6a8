/**
 * `focus-station evaluate`: runs deployed ONNX models through the inference engine on a dataset export's test split
 * and measures focusing error, sign errors, within-DOF fraction, size and speed per model (issue 5).
 */
import { InferenceEngine, type ModelInfo } from '../inference/engine';
import { frameToPatches, preprocessSpecOf } from '../inference/preprocess';
import { ModelRegistry, defaultModelDirs } from '../inference/registry';
import { timeFrame, timePatches } from '../inference/timing';
import { depthOfFieldUm } from './dof';
import { EvaluationError, loadFrame, readExport, type ExportData, type ManifestRow } from './export-reader';
import { focusMetrics, stackOrdering, type DefocusRangeKey, type StackOrdering } from './metrics';
import { writeReport, type ReportFiles } from './report';

export { EvaluationError } from './export-reader';

export interface ModelEvaluation {
  model: string;
  name: string;
  architecture: string;
  /** What the model reads: the signed defocus, or its magnitude (focusing error then against |d|). */
  target: 'signed' | 'magnitude';
  card_path: string;
  n_patches: number;
  n_images: number;
  rmse_um: number;
  error_mean_um: number;
  error_std_um: number;
  error_mean_nm: number;
  error_std_nm: number;
  error_median_um: number;
  error_p95_um: number;
  bias_um: number;
  error_by_range: Record<DefocusRangeKey, number | null>;
  n_by_range: Record<DefocusRangeKey, number>;
  sign_error_rate: number | null;
  within_dof: number | null;
  dof_um: number;
  /** Per-stack Spearman correlation of predicted against true defocus (metrics.ts stackOrdering). */
  stack_ordering: StackOrdering;
  size_bytes: number;
  parameters: number;
  ms_per_patch: number | null;
  timing_batch: number;
  ms_per_frame: number | null;
  patches_per_frame: number | null;
  threads: number;
  training_time_s: number;
  /** Time and device of the stage the training started from (card training.pretraining), or null. */
  pretraining: { time_s: number; device: string } | null;
  final_train_loss: number | null;
  final_test_loss: number | null;
  skipped_images: number;
  warnings: string[];
}

export interface EvaluationResult {
  models: ModelEvaluation[];
  data: { dir: string; split: string; n_images: number };
  created_at: string;
  report?: ReportFiles;
}

/** Per-patch truth and prediction of one model (for plots and predictions.csv). */
export interface ModelSamples {
  model: string;
  truth: Float64Array;
  predicted: Float64Array;
  /** Image path of each patch. */
  image: string[];
  /** Stack of each patch (the export's stack_id). */
  stack: string[];
}

export interface EvaluationProgress {
  model: string;
  phase: 'load' | 'predict' | 'timing' | 'report';
  done: number;
  total: number;
}

export interface EvaluateOptions {
  /** Model ids (looked up in modelDirs) or paths to cards / ONNX files. */
  models: string[];
  /** The export folder (manifest.csv, dataset.json, images/). */
  dataDir: string;
  /** Write report.md, results.json, predictions.csv and plots/*.png here. */
  reportDir?: string;
  onProgress?: (p: EvaluationProgress) => void;
  /** Reuse an engine (it is left open); else one is made with `threads` and closed at the end. */
  engine?: InferenceEngine;
  threads?: number;
  /** Folders where model ids are looked up (default: user-less defaultModelDirs()). */
  modelDirs?: string[];
  /** Patches per inference run (default 32). */
  batchSize?: number;
  /** Which split to evaluate (default 'test'). */
  split?: 'test' | 'train' | 'all';
  /** Measure ms per patch / per 2592x1944 frame (default true). */
  timing?: boolean;
  signal?: AbortSignal;
}

export interface EvaluationOutput {
  result: EvaluationResult;
  samples: ModelSamples[];
}

function testRows(data: ExportData, split: EvaluateOptions['split']): ManifestRow[] {
  return split === 'all' ? data.rows : data.rows.filter((r) => r.split === (split ?? 'test'));
}

function opticsWarnings(info: ModelInfo, rows: ManifestRow[]): string[] {
  const warnings: string[] = [];
  const optics = info.card.optics;
  const mags = new Set(rows.map((r) => r.magnification).filter((m): m is number => m !== undefined));
  const foreign = [...mags].filter((m) => Math.abs(m - optics.magnification) > 1e-6);
  if (foreign.length)
    warnings.push(
      `test images at magnification ${foreign.join(', ')}; the model was trained at ${optics.magnification}x`,
    );
  const sizes = rows.map((r) => r.pixel_size_um);
  const off = sizes.filter((p) => Math.abs(p / optics.pixel_size_um - 1) > 0.005).length;
  if (off) warnings.push(`${off} images resampled from their pixel size to the model's ${optics.pixel_size_um} um/px`);
  return warnings;
}

/** Runs one model over the rows; patches of several images share one inference run. */
export async function collectPredictions(
  engine: InferenceEngine,
  info: ModelInfo,
  data: ExportData,
  rows: ManifestRow[],
  options: Pick<EvaluateOptions, 'batchSize' | 'onProgress' | 'signal'> = {},
): Promise<{ samples: ModelSamples; nImages: number; skipped: string[]; firstPatches?: Float32Array }> {
  const batchSize = options.batchSize ?? 32;
  const spec = preprocessSpecOf(info.card);
  const truth: number[] = [];
  const predicted: number[] = [];
  const image: string[] = [];
  const stack: string[] = [];
  const skipped: string[] = [];
  let nImages = 0;
  // Frames whose patches wait for the next batch: the patches, how many, and the manifest row they share.
  let pending: { data: Float32Array; n: number; row: ManifestRow }[] = [];
  let pendingCount = 0;
  let firstPatches: Float32Array | undefined;

  const flush = async () => {
    if (!pendingCount) return;
    const batch = new Float32Array(pendingCount * info.patchLength);
    let offset = 0;
    for (const p of pending) {
      batch.set(p.data, offset);
      offset += p.data.length;
    }
    firstPatches ??= batch.slice();
    const out = await engine.predict(info.id, batch, pendingCount, { transfer: true });
    for (const { n, row } of pending) {
      for (let k = 0; k < n; k++) {
        truth.push(row.defocus_um);
        image.push(row.path);
        stack.push(row.stack_id);
      }
    }
    predicted.push(...out);
    pending = [];
    pendingCount = 0;
  };

  for (let i = 0; i < rows.length; i++) {
    options.signal?.throwIfAborted();
    const row = rows[i];
    try {
      const frame = await loadFrame(data, row);
      const patches = await frameToPatches(frame, spec);
      if (patches.n === 0)
        throw new Error(
          `${frame.width}x${frame.height} at the model's pixel size holds no full ${spec.width}x${spec.height} patch`,
        );
      pending.push({ data: patches.data, n: patches.n, row });
      pendingCount += patches.n;
      nImages++;
    } catch (err) {
      skipped.push(`${row.path}: ${(err as Error).message}`);
    }
    if (pendingCount >= batchSize) await flush();
    options.onProgress?.({ model: info.id, phase: 'predict', done: i + 1, total: rows.length });
  }
  await flush();
  return {
    samples: {
      model: info.id,
      truth: Float64Array.from(truth),
      predicted: Float64Array.from(predicted),
      image,
      stack,
    },
    nImages,
    skipped,
    firstPatches,
  };
}

export async function evaluateModel(
  engine: InferenceEngine,
  modelRef: string,
  data: ExportData,
  rows: ManifestRow[],
  options: Omit<EvaluateOptions, 'models' | 'dataDir' | 'engine'> = {},
): Promise<{ evaluation: ModelEvaluation; samples: ModelSamples }> {
  options.onProgress?.({ model: modelRef, phase: 'load', done: 0, total: 1 });
  const loadedBefore = new Set(engine.loaded().map((m) => m.id));
  const info = await engine.load(modelRef);
  const { samples, nImages, skipped, firstPatches } = await collectPredictions(engine, info, data, rows, options);
  if (samples.truth.length === 0) {
    throw new EvaluationError(
      'no-test-data',
      `model ${info.id}: no patch of the ${rows.length} test images could be used${skipped.length ? ` (first problem: ${skipped[0]})` : ''}`,
    );
  }
  const dof = depthOfFieldUm(info.card.optics);
  const m = focusMetrics(samples.predicted, samples.truth, dof, info.card.output.target === 'magnitude');
  const timingBatch = options.batchSize ?? 32;
  let msPerPatch: number | null = null;
  let msPerFrame: number | null = null;
  let patchesPerFrame: number | null = null;
  if (options.timing ?? true) {
    options.onProgress?.({ model: info.id, phase: 'timing', done: 0, total: 2 });
    const real =
      firstPatches && firstPatches.length >= timingBatch * info.patchLength
        ? firstPatches.subarray(0, timingBatch * info.patchLength)
        : undefined;
    msPerPatch = (await timePatches(engine, info, timingBatch, 5, real)).msPerPatch;
    options.onProgress?.({ model: info.id, phase: 'timing', done: 1, total: 2 });
    const frame = await timeFrame(engine, info, { repeats: 2 });
    msPerFrame = frame.msPerFrame;
    patchesPerFrame = frame.patches;
    options.onProgress?.({ model: info.id, phase: 'timing', done: 2, total: 2 });
  }
  const training = info.card.training;
  const evaluation: ModelEvaluation = {
    model: info.id,
    name: info.name,
    architecture: info.architecture,
    target: info.card.output.target,
    card_path: info.cardPath,
    n_patches: m.n,
    n_images: nImages,
    rmse_um: m.rmse_um,
    error_mean_um: m.error_mean_um,
    error_std_um: m.error_std_um,
    error_mean_nm: m.error_mean_um * 1000,
    error_std_nm: m.error_std_um * 1000,
    error_median_um: m.error_median_um,
    error_p95_um: m.error_p95_um,
    bias_um: m.bias_um,
    error_by_range: m.error_by_range,
    n_by_range: m.n_by_range,
    sign_error_rate: m.sign_error_rate,
    within_dof: m.within_dof,
    dof_um: dof,
    stack_ordering: stackOrdering(samples.predicted, samples.truth, samples.stack),
    size_bytes: info.sizeBytes,
    parameters: info.card.parameters,
    ms_per_patch: msPerPatch,
    timing_batch: timingBatch,
    ms_per_frame: msPerFrame,
    patches_per_frame: patchesPerFrame,
    threads: engine.threads,
    training_time_s: training.time_s,
    pretraining: training.pretraining
      ? { time_s: training.pretraining.time_s, device: training.pretraining.device }
      : null,
    final_train_loss: training.final_train_loss,
    final_test_loss: training.final_test_loss,
    skipped_images: skipped.length,
    warnings: [...opticsWarnings(info, rows), ...skipped.slice(0, 5).map((s) => `skipped ${s}`)],
  };
  if (!loadedBefore.has(info.id)) await engine.unload(info.id);
  return { evaluation, samples };
}

/** Evaluates every model on the export's test split; writes the report when reportDir is given. */
export async function evaluateWithSamples(options: EvaluateOptions): Promise<EvaluationOutput> {
  if (options.models.length === 0)
    throw new EvaluationError('no-models', 'no model to evaluate: give at least one model id or path');
  const data = await readExport(options.dataDir);
  const rows = testRows(data, options.split);
  if (rows.length === 0) {
    throw new EvaluationError('no-test-data', `the export ${options.dataDir} has no ${options.split ?? 'test'} images`);
  }
  const engine =
    options.engine ??
    (await InferenceEngine.create({
      threads: options.threads,
      registry: new ModelRegistry(options.modelDirs ?? defaultModelDirs()),
    }));
  const evaluations: ModelEvaluation[] = [];
  const samples: ModelSamples[] = [];
  try {
    for (const ref of options.models) {
      const { evaluation, samples: s } = await evaluateModel(engine, ref, data, rows, options);
      evaluations.push(evaluation);
      samples.push(s);
    }
  } finally {
    if (!options.engine) await engine.close();
  }
  const result: EvaluationResult = {
    models: evaluations,
    data: { dir: options.dataDir, split: options.split ?? 'test', n_images: rows.length },
    created_at: new Date().toISOString(),
  };
  if (options.reportDir) {
    options.onProgress?.({ model: '', phase: 'report', done: 0, total: 1 });
    result.report = await writeReport(result, samples, options.reportDir);
    options.onProgress?.({ model: '', phase: 'report', done: 1, total: 1 });
  }
  return { result, samples };
}

export async function evaluate(options: EvaluateOptions): Promise<EvaluationResult> {
  return (await evaluateWithSamples(options)).result;
}
