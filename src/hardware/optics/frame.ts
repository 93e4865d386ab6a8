/**
 * One camera frame of the virtual microscope: optics (fast model or Abbe), optional slide tilt, camera model.
 * Tilt makes defocus vary linearly across the field; it is rendered as a few planes spanning the field's defocus
 * range (<= 0.5 um apart, at most 5) blended per pixel by linear interpolation in defocus.
 */
import { renderAbbe } from './abbe';
import { digitisePlane, interleave, type DigitisedImage, type ResolvedCameraModel } from './camera-model';
import type { Geometry } from './geometry';
import { mixSeed } from './rng';
import type { ImageFormation, IntensityImage } from './render';

export interface Tilt {
  xUmPerMm: number;
  yUmPerMm: number;
}

export interface FrameRequest {
  /** Defocus at the field centre (um). */
  defocusUm: number;
  xUm: number;
  yUm: number;
  tilt?: Tilt;
  model?: 'fast' | 'abbe';
  abbeMaxSourcePoints?: number;
}

function renderPlane(f: ImageFormation, d: number, req: FrameRequest, which?: number[]): IntensityImage {
  return req.model === 'abbe'
    ? renderAbbe(f, d, req.xUm, req.yUm, { maxSourcePoints: req.abbeMaxSourcePoints ?? 60 }, which)
    : f.render(d, req.xUm, req.yUm, which);
}

/** Relative intensity at camera pixels, with tilt when asked; `which` selects channel indices. */
export function renderIntensity(f: ImageFormation, req: FrameRequest, which?: number[]): IntensityImage {
  const g = f.geometry;
  const tx = (req.tilt?.xUmPerMm ?? 0) / 1000;
  const ty = (req.tilt?.yUmPerMm ?? 0) / 1000;
  const halfW = (g.outWidth / 2) * g.cameraPixelUm;
  const halfH = (g.outHeight / 2) * g.cameraPixelUm;
  const span = 2 * (Math.abs(tx) * halfW + Math.abs(ty) * halfH);
  if (span < 0.02) return renderPlane(f, req.defocusUm, req, which);
  const dMin = req.defocusUm - span / 2;
  const nPlanes = Math.min(5, Math.max(2, Math.ceil(span / 0.5) + 1));
  const step = span / (nPlanes - 1);
  const planes = Array.from({ length: nPlanes }, (_, i) => renderPlane(f, dMin + i * step, req, which));
  const nc = planes[0].planes.length;
  const out = Array.from({ length: nc }, () => new Float32Array(g.outWidth * g.outHeight));
  const cx = (g.outWidth - 1) / 2;
  const cy = (g.outHeight - 1) / 2;
  for (let y = 0; y < g.outHeight; y++) {
    const dy = ty * (y - cy) * g.cameraPixelUm;
    for (let x = 0; x < g.outWidth; x++) {
      const d = req.defocusUm + tx * (x - cx) * g.cameraPixelUm + dy;
      let u = (d - dMin) / step;
      u = u < 0 ? 0 : u > nPlanes - 1 ? nPlanes - 1 : u;
      const i0 = Math.min(nPlanes - 2, Math.floor(u));
      const w = u - i0;
      const k = y * g.outWidth + x;
      for (let c = 0; c < nc; c++) out[c][k] = planes[i0].planes[c][k] * (1 - w) + planes[i0 + 1].planes[c][k] * w;
    }
  }
  return { width: g.outWidth, height: g.outHeight, planes: out, pixelSizeUm: g.cameraPixelUm };
}

/** A full noisy, quantised frame in the calling thread; same bytes as FrameEngine on any number of threads. */
export function renderFrame(
  f: ImageFormation,
  req: FrameRequest,
  camera: ResolvedCameraModel,
  bitDepth: 8 | 12 | 16,
  seed: number,
): DigitisedImage {
  const jobs = frameJobs(f.geometry, req, camera, bitDepth, seed);
  const parts = jobs.map((j) => renderChannels(f, j.req, j.which, j.camera, j.bitDepth, j.seed, j.rows));
  return mergeJobs(f.geometry, parts, bitDepth);
}

/** One unit of frame work: render the channels `which` and digitise the given rows of each. */
export interface FrameJob {
  req: FrameRequest;
  which: number[];
  camera: ResolvedCameraModel;
  bitDepth: 8 | 12 | 16;
  seed: number;
  rows?: (RowSpan | undefined)[];
}

/**
 * How a frame is cut into jobs. Mono: one job. Colour: one complex inverse FFT carries two real images, so job 1
 * renders R+iG and job 2 B+iG (G rides free, always as the imaginary part so its rounding is the same in both);
 * job 1 digitises R and the top half of G, job 2 B and the bottom half. Two threads get equal work, and the frame
 * is the same whichever thread ran which job.
 */
export function frameJobs(
  g: Geometry,
  req: FrameRequest,
  camera: ResolvedCameraModel,
  bitDepth: 8 | 12 | 16,
  seed: number,
): FrameJob[] {
  const base = { req, camera, bitDepth, seed };
  if (g.channels.length === 1) return [{ ...base, which: [0] }];
  const half = g.outHeight >> 1;
  return [
    { ...base, which: [0, 1], rows: [undefined, { start: 0, end: half }] },
    { ...base, which: [2, 1], rows: [undefined, { start: half, end: g.outHeight }] },
  ];
}

/** Joins the planar outputs of frameJobs() into one interleaved frame. */
export function mergeJobs(g: Geometry, parts: (Uint8Array | Uint16Array)[][], bitDepth: 8 | 12 | 16): DigitisedImage {
  const n = g.outWidth * g.outHeight;
  if (g.channels.length === 1) {
    return { width: g.outWidth, height: g.outHeight, channels: 1, bitDepth, data: parts[0][0] };
  }
  const [[r, gTop], [b, gBottom]] = parts;
  const green = r instanceof Uint8Array ? new Uint8Array(n) : new Uint16Array(n);
  green.set(gTop, 0);
  green.set(gBottom, gTop.length);
  return { width: g.outWidth, height: g.outHeight, channels: 3, bitDepth, data: interleave([r, green, b], n) };
}

/** Which rows of a rendered channel to digitise (default: all). */
export interface RowSpan {
  start: number;
  end: number;
}

/**
 * Renders the channels `which` (indices into geometry.channels) and digitises the row span asked for each
 * (planar arrays). Noise streams are per channel and row, so any split gives the same pixels.
 */
export function renderChannels(
  f: ImageFormation,
  req: FrameRequest,
  which: number[],
  camera: ResolvedCameraModel,
  bitDepth: 8 | 12 | 16,
  seed: number,
  rows?: (RowSpan | undefined)[],
): (Uint8Array | Uint16Array)[] {
  const img = renderIntensity(f, req, which);
  const nc = f.geometry.channels.length;
  return which.map((k, i) =>
    digitisePlane(
      img.planes[i],
      img.width,
      img.height,
      f.geometry.channels[k],
      nc,
      camera,
      bitDepth,
      mixSeed(seed, nc === 3 ? k : 1),
      rows?.[i]?.start ?? 0,
      rows?.[i]?.end ?? img.height,
    ),
  );
}
