/**
 * simulateStack: a defocus stack of one field of a slide, one PNG per plane and <outDir>/stack.csv
 * (file,defocus_um,pixel_size_um), with d = z - z_focus as in DESIGN.md.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import {
  resolveOpticalSetup,
  validateOpticalSetup,
  type OpticalSetupInput,
  type SampleOptions,
  type CameraModelOptions,
  type SetupPresetId,
} from '../../shared/optics';
import { resolveCameraModel } from './camera-model';
import { OpticsError } from './errors';
import { FrameEngine } from './engine';
import type { Tilt } from './frame';
import { mixSeed } from './rng';
import { resolveSample } from './sample';
import { Slide } from './slide';
import { DEFAULT_SLIDE_PATH } from './default-slide';

export interface StackRange {
  start: number;
  stop: number;
  step: number;
}

export interface SimulateStackOptions {
  slidePath?: string;
  slidePixelSizeUm?: number;
  setup: SetupPresetId | OpticalSetupInput;
  rangeUm: StackRange | number[];
  seed?: number;
  xUm?: number;
  yUm?: number;
  outDir: string;
  bitDepth?: 8 | 16;
  /** Frame size in camera pixels; the setup's sensor when absent. */
  width?: number;
  height?: number;
  sample?: SampleOptions;
  camera?: CameraModelOptions;
  tilt?: Tilt;
  model?: 'fast' | 'abbe';
  /** Render worker threads (default 2; 0 = this thread). */
  threads?: 0 | 1 | 2;
  onProgress?: (done: number, total: number, file: string) => void;
  signal?: AbortSignal;
}

export interface StackResult {
  outDir: string;
  csvPath: string;
  pixelSizeUm: number;
  planes: { file: string; defocusUm: number }[];
}

export function rangeValues(r: StackRange | number[]): number[] {
  if (Array.isArray(r)) return r;
  const { start, stop, step } = r;
  if (
    ![start, stop, step].every(Number.isFinite) ||
    step === 0 ||
    (stop !== start && Math.sign(stop - start) !== Math.sign(step))
  ) {
    throw new OpticsError('BAD_RANGE', `Invalid defocus range ${start}:${stop}:${step} um`);
  }
  const n = Math.floor(Math.abs(stop - start) / Math.abs(step) + 1e-9) + 1;
  return Array.from({ length: n }, (_, i) => Math.round((start + i * step) * 1e9) / 1e9);
}

/** Writes a frame as PNG (8-bit, or 16-bit when the data are 16-bit), atomically. */
export async function writeFramePng(
  file: string,
  data: Uint8Array | Uint16Array,
  width: number,
  height: number,
  channels: 1 | 3,
): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const sixteen = data instanceof Uint16Array;
  let img = sharp(sixteen ? new Uint16Array(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
    raw: { width, height, channels },
  });
  if (sixteen) img = img.toColourspace(channels === 1 ? 'grey16' : 'rgb16');
  await img.png({ compressionLevel: 3 }).toFile(tmp);
  await rename(tmp, file);
}

export async function simulateStack(opts: SimulateStackOptions): Promise<StackResult> {
  const setup = typeof opts.setup === 'string' ? resolveOpticalSetup(opts.setup) : validateOpticalSetup(opts.setup);
  const ds = rangeValues(opts.rangeUm);
  if (ds.length === 0) throw new OpticsError('BAD_RANGE', 'The defocus range has no planes');
  const bitDepth = opts.bitDepth ?? 8;
  if (bitDepth !== 8 && bitDepth !== 16)
    throw new OpticsError('BAD_OPTION', `PNG bit depth must be 8 or 16, got ${bitDepth}`);
  const xUm = opts.xUm ?? 0;
  const yUm = opts.yUm ?? 0;
  if (!Number.isFinite(xUm) || !Number.isFinite(yUm))
    throw new OpticsError('BAD_OPTION', 'x and y must be finite numbers of um');
  const slide = await Slide.load(opts.slidePath ?? DEFAULT_SLIDE_PATH, { pixelSizeUm: opts.slidePixelSizeUm });
  const width = opts.width ?? setup.sensorWidthPx;
  const height = opts.height ?? setup.sensorHeightPx;
  const maxAbsD = Math.max(...ds.map(Math.abs));
  const engine = await FrameEngine.create(slide, setup, resolveSample(opts.sample), {
    width,
    height,
    marginDefocusUm: Math.min(60, Math.max(5, maxAbsD)),
    threads: opts.threads ?? 2,
  });
  const camera = resolveCameraModel(opts.camera);
  const seed = opts.seed ?? 1;
  try {
    await mkdir(opts.outDir, { recursive: true });
  } catch (e) {
    throw new OpticsError('OUTPUT', `Cannot create the output folder ${opts.outDir}: ${(e as Error).message}`);
  }
  const planes: StackResult['planes'] = [];
  try {
    for (let i = 0; i < ds.length; i++) {
      if (opts.signal?.aborted) throw new OpticsError('OUTPUT', 'Stack simulation cancelled');
      const d = ds[i];
      const frame = await engine.renderFrame(
        { defocusUm: d, xUm, yUm, tilt: opts.tilt, model: opts.model },
        camera,
        bitDepth,
        mixSeed(seed, i),
      );
      const file = `plane_${String(i).padStart(3, '0')}_d${d >= 0 ? '+' : '-'}${Math.abs(d).toFixed(3)}um.png`;
      await writeFramePng(path.join(opts.outDir, file), frame.data, frame.width, frame.height, frame.channels);
      planes.push({ file, defocusUm: d });
      opts.onProgress?.(i + 1, ds.length, file);
    }
  } finally {
    await engine.dispose();
  }
  const pixelSizeUm = engine.geometry.cameraPixelUm;
  const csv =
    ['file,defocus_um,pixel_size_um', ...planes.map((p) => `${p.file},${p.defocusUm},${pixelSizeUm}`)].join('\n') +
    '\n';
  const csvPath = path.join(opts.outDir, 'stack.csv');
  await writeFile(`${csvPath}.tmp`, csv);
  await rename(`${csvPath}.tmp`, csvPath);
  return { outDir: opts.outDir, csvPath, pixelSizeUm, planes };
}
