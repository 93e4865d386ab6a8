/**
 * Classic depth-from-focus autofocus: step through planes, score each frame with a sharpness metric, fit the peak
 * (focus/fit.ts), move there. The comparison baseline for the network and its fallback.
 *
 * - sweep:          one pass, +-halfRange around the centre at `step` (default +-10 um at 1 um: 21 frames).
 * - coarse-to-fine: a coarse pass (default +-10 um at 2 um: 11 frames), then a fine pass around the coarse peak
 *                   (default +-1.5 um at 0.5 um: 7 frames).
 * Planes are visited upward (approached from below, as the stacks are), planes outside the soft limits are skipped,
 * a peak at the edge of a pass extends the pass beyond that edge, a time limit ends the search with the best fit so
 * far, and the signal cancels it.
 */
import type { Camera, Frame, ZStage } from '../../hardware/types';
import type { FocusCurvePoint, FocusLabel, SharpnessMetric } from '../../shared/dataset';
import { labelFocusCurve } from '../focus/label';
import { sharpness } from '../focus/metrics';
import { APPROACH_OVERSHOOT_UM, clampToLimits, moveBacklashAware, sleep, withinLimits } from './move';

export interface ClassicPass {
  halfRangeUm: number;
  stepUm: number;
  /** Planes added beyond an edge where the peak sits (default EXTENSION_PLANES). */
  extensionPlanes?: number;
}

/** The sharpness metric of every classic search (the labels' choice, test-output/app-dataset/vm-metric-comparison.txt). */
export const CLASSIC_METRIC: SharpnessMetric = 'tenengrad';

export const SWEEP_PASS: ClassicPass = { halfRangeUm: 10, stepUm: 1 };
export const COARSE_PASS: ClassicPass = { halfRangeUm: 10, stepUm: 2 };
export const FINE_PASS: ClassicPass = { halfRangeUm: 1.5, stepUm: 0.5 };
/** A peak at the edge of a pass extends it by this many planes, at most MAX_EXTENSIONS times. */
const EXTENSION_PLANES = 5;
const MAX_EXTENSIONS = 2;

export interface ClassicOptions {
  camera: Camera;
  zStage: ZStage;
  /** Centre of the (first) pass; default the current position. */
  centerUm?: number;
  passes: ClassicPass[];
  metric?: SharpnessMetric;
  /** Stop stepping after this long (ms) and use the best fit so far. */
  timeLimitMs?: number;
  /** Move to the best z at the end (default true). */
  moveToBest?: boolean;
  signal?: AbortSignal;
  onFrame?: (frame: Frame, point: FocusCurvePoint) => void;
}

export interface ClassicResult {
  /** Where the search ended up (the fitted peak, else the sharpest plane). */
  zBestUm: number;
  /** The fitted peak, when the last pass's fit gave one. */
  zFocusUm: number | null;
  label: Omit<FocusLabel, 'fitted'> | null;
  points: FocusCurvePoint[];
  images: number;
  timedOut: boolean;
  /** The curve had a usable peak (fit inside the range, contrast above the QC floor). */
  peakFound: boolean;
}

export class ClassicCancelled extends Error {
  constructor() {
    super('the classic autofocus search was cancelled');
    this.name = 'ClassicCancelled';
  }
}

/** Planes of one pass, ascending, clipped to the limits (at least the clipped centre). */
export function passPlanes(center: number, pass: ClassicPass, limits: { minUm: number; maxUm: number }): number[] {
  const n = Math.floor((2 * pass.halfRangeUm) / pass.stepUm + 1e-9) + 1;
  const planes: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = center - pass.halfRangeUm + i * pass.stepUm;
    if (withinLimits(z, limits)) planes.push(clampToLimits(z, limits));
  }
  return planes.length ? planes : [clampToLimits(center, limits)];
}

export async function classicAutofocus(o: ClassicOptions): Promise<ClassicResult> {
  const metric = o.metric ?? CLASSIC_METRIC;
  const t0 = performance.now();
  const limits = o.zStage.limits();
  let center = o.centerUm ?? (await o.zStage.position());
  let images = 0;
  let timedOut = false;
  const all: FocusCurvePoint[] = [];
  let pass: FocusCurvePoint[] = [];
  let label: Omit<FocusLabel, 'fitted'> | null = null;
  for (const p of o.passes) {
    pass = [];
    const planes = passPlanes(center, p, limits);
    // Start below the first plane so every plane is reached by an upward move.
    await o.zStage.moveTo(clampToLimits(planes[0] - APPROACH_OVERSHOOT_UM, limits));
    for (const z of planes) {
      if (o.signal?.aborted) throw new ClassicCancelled();
      if (o.timeLimitMs !== undefined && performance.now() - t0 > o.timeLimitMs && all.length >= 3) {
        timedOut = true;
        break;
      }
      const point = await snapPlane(o, z, metric);
      images++;
      pass.push(point);
      all.push(point);
    }
    label = fitLabel(pass.length >= 3 ? pass : all, metric);
    // The sharpest plane at an end of the range: the focus lies beyond it. Extend the pass that way (twice at most)
    // instead of settling for the edge, as any operator would.
    for (let ext = 0; ext < MAX_EXTENSIONS && !timedOut && label?.flags.includes('peak-at-edge'); ext++) {
      const peak = bestPlane(pass);
      const sorted = pass.map((q) => q.z).sort((a, b) => a - b);
      const up = peak >= sorted[sorted.length - 1] - 1e-9;
      const more = extensionPlanes(
        up ? sorted[sorted.length - 1] : sorted[0],
        up,
        p.stepUm,
        limits,
        p.extensionPlanes ?? EXTENSION_PLANES,
      );
      if (!more.length) break;
      if (!up) await o.zStage.moveTo(clampToLimits(more[0] - APPROACH_OVERSHOOT_UM, limits));
      for (const z of more) {
        if (o.signal?.aborted) throw new ClassicCancelled();
        if (o.timeLimitMs !== undefined && performance.now() - t0 > o.timeLimitMs) {
          timedOut = true;
          break;
        }
        const point = await snapPlane(o, z, metric);
        images++;
        pass.push(point);
        all.push(point);
      }
      label = fitLabel(pass, metric);
    }
    center = label?.zFocusUm ?? bestPlane(pass.length ? pass : all);
    if (timedOut) break;
  }
  const zBestUm = clampToLimits(center, limits);
  const peakFound = label !== null && label.zFocusUm !== null && !label.flags.includes('low-contrast');
  if (o.moveToBest !== false) await moveBacklashAware(o.zStage, zBestUm);
  return {
    zBestUm,
    zFocusUm: label?.zFocusUm ?? null,
    label,
    points: all,
    images,
    timedOut,
    peakFound,
  };
}

/** Planes added beyond an edge of a pass: `count` steps further, within the limits, ascending. */
function extensionPlanes(
  edge: number,
  up: boolean,
  step: number,
  limits: { minUm: number; maxUm: number },
  count: number,
): number[] {
  const out: number[] = [];
  for (let k = 1; k <= count; k++) {
    const z = edge + (up ? k : -k) * step;
    if (withinLimits(z, limits)) out.push(clampToLimits(z, limits));
  }
  return out.sort((a, b) => a - b);
}

async function snapPlane(o: ClassicOptions, z: number, metric: SharpnessMetric): Promise<FocusCurvePoint> {
  const reached = await o.zStage.moveTo(z);
  await sleep(o.zStage.settleMs(), o.signal);
  const frame = await o.camera.snap();
  const point = { z: reached, sharpness: sharpnessOfFrame(frame, metric) };
  o.onFrame?.(frame, point);
  return point;
}

/** Sharpness of a frame; big frames are subsampled by 2 (a 5 MP frame in ~20 ms instead of ~80). */
export function sharpnessOfFrame(frame: Frame, metric: SharpnessMetric): number {
  return sharpness(frame, metric, frame.width * frame.height > 1_000_000 ? 2 : 1);
}

/** The classic fit of a few planes; the focus is null when the sharpest plane is at an end of them. */
export function fitLabel(points: FocusCurvePoint[], metric: SharpnessMetric): Omit<FocusLabel, 'fitted'> | null {
  if (points.length === 0) return null;
  const { fitted: _fitted, ...label } = labelFocusCurve(points, metric, 'gaussian');
  void _fitted;
  // A peak at the edge of the range is no peak: the focus is beyond it, the fit would extrapolate.
  if (label.flags.includes('peak-at-edge')) return { ...label, zFocusUm: null };
  return label;
}

export function bestPlane(points: FocusCurvePoint[]): number {
  return points.reduce((a, b) => (b.sharpness > a.sharpness ? b : a)).z;
}
