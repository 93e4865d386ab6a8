/**
 * Inference timings shared by the evaluation report and bench/inference.ts: ms per patch in a batched run, and
 * ms per camera frame (preprocess + tile + infer), both measured on the engine's worker.
 */
import type { Frame } from '../../hardware/types';
import type { InferenceEngine, ModelInfo } from './engine';
import { frameToPatches, preprocessSpecOf } from './preprocess';

export const FRAME_WIDTH = 2592;
export const FRAME_HEIGHT = 1944;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Deterministic textured RGB 8-bit frame (content does not change the timing of a CNN; size does). */
export function syntheticFrame(width: number, height: number, pixelSizeUm: number, seed = 1): Frame {
  const data = new Uint8Array(width * height * 3);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = 96 + ((s >>> 0) % 64);
  }
  return { width, height, channels: 3, bitDepth: 8, data, pixelSizeUm, exposureMs: 10, timestamp: Date.now() };
}

export interface PatchTiming {
  batch: number;
  /** Median over the repeats of (run time / batch). */
  msPerPatch: number;
  msPerBatch: number;
  /**
   * Median CPU time of this process (all threads: onnxruntime's and the worker's) per patch. On a machine shared with
   * other jobs the wall time grows with their load while this stays close to the work done.
   */
  cpuMsPerPatch: number;
  repeats: number;
}

/** Times predict() on `batch` patches (random data unless given), after one untimed run at that batch size. */
export async function timePatches(
  engine: InferenceEngine,
  model: ModelInfo,
  batch: number,
  repeats = 5,
  patches?: Float32Array,
): Promise<PatchTiming> {
  const data = patches ?? Float32Array.from({ length: batch * model.patchLength }, (_, i) => Math.sin(i) * 0.5);
  await engine.predict(model.id, data, batch);
  const times: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await engine.predict(model.id, data, batch);
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const msPerBatch = median(times);
  return { batch, msPerPatch: msPerBatch / batch, msPerBatch, cpuMsPerPatch: median(cpu) / batch, repeats };
}

export interface FrameTiming {
  width: number;
  height: number;
  patches: number;
  /** Median ms of preprocess + tile + pack, of inference, and of both. */
  msPreprocess: number;
  msInfer: number;
  msPerFrame: number;
  repeats: number;
}

/**
 * Times a whole 2592x1944 frame: preprocess (resample when the frame's pixel size differs from the model's), tile into
 * every full patch, one batched predict.
 */
export async function timeFrame(
  engine: InferenceEngine,
  model: ModelInfo,
  options: { frame?: Frame; repeats?: number } = {},
): Promise<FrameTiming> {
  const frame = options.frame ?? syntheticFrame(FRAME_WIDTH, FRAME_HEIGHT, model.card.optics.pixel_size_um);
  const repeats = options.repeats ?? 3;
  const spec = preprocessSpecOf(model.card);
  const pre: number[] = [];
  const inf: number[] = [];
  const total: number[] = [];
  let patches = 0;
  for (let r = 0; r <= repeats; r++) {
    const t0 = performance.now();
    const batch = await frameToPatches(frame, spec);
    const t1 = performance.now();
    await engine.predict(model.id, batch.data, batch.n, { transfer: true });
    const t2 = performance.now();
    patches = batch.n;
    if (r === 0) continue; // the first run sizes onnxruntime's buffers for this batch
    pre.push(t1 - t0);
    inf.push(t2 - t1);
    total.push(t2 - t0);
  }
  return {
    width: frame.width,
    height: frame.height,
    patches,
    msPreprocess: median(pre),
    msInfer: median(inf),
    msPerFrame: median(total),
    repeats,
  };
}
