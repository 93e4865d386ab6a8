/**
 * Coarse-focus helpers for the acquisition wizard: a live sharpness readout and a quick focus curve (a short
 * sweep, approached from below like the stacks) that returns - and moves to - the best z.
 */
import type { Camera, ZStage } from '../../hardware/types';
import type { FocusCurvePoint, FocusFit, FocusLabel, SharpnessMetric } from '../../shared/dataset';
import { DatasetError } from '../dataset/errors';
import { DEFAULT_FIT, DEFAULT_METRIC, labelFocusCurve } from '../focus/label';
import { sharpness } from '../focus/metrics';
import { sleep } from './control';

/** One snap, one sharpness value (subsampled on big frames so it keeps up with live view). */
export async function liveSharpness(
  camera: Camera,
  metric: SharpnessMetric = DEFAULT_METRIC,
): Promise<{ value: number; timestamp: number }> {
  const f = await camera.snap();
  return { value: sharpness(f, metric, f.width * f.height > 1_000_000 ? 2 : 1), timestamp: f.timestamp };
}

/** Live readout until the signal aborts. */
export async function* liveSharpnessStream(
  camera: Camera,
  opts: { metric?: SharpnessMetric; intervalMs?: number; signal?: AbortSignal } = {},
): AsyncGenerator<{ value: number; timestamp: number }> {
  while (!opts.signal?.aborted) {
    yield await liveSharpness(camera, opts.metric);
    await sleep(opts.intervalMs ?? 0, opts.signal);
  }
}

export interface QuickFocusOptions {
  camera: Camera;
  z: ZStage;
  /** Sweep centre (default: the current position). */
  centerUm?: number;
  halfRangeUm?: number;
  stepUm?: number;
  overshootUm?: number;
  settleMs?: number;
  metric?: SharpnessMetric;
  fit?: FocusFit;
  /** Move to the best z at the end (default true). */
  moveToBest?: boolean;
  signal?: AbortSignal;
  onPoint?: (p: FocusCurvePoint) => void;
}

export interface QuickFocusResult {
  points: FocusCurvePoint[];
  label: FocusLabel;
  /** Best z: the fitted peak, or the sharpest plane when the fit failed. */
  zBestUm: number;
}

export async function quickFocusCurve(o: QuickFocusOptions): Promise<QuickFocusResult> {
  const metric = o.metric ?? DEFAULT_METRIC;
  const half = o.halfRangeUm ?? 10;
  const step = o.stepUm ?? 1;
  const over = o.overshootUm ?? 5;
  const center = o.centerUm ?? (await o.z.position());
  const n = Math.floor((2 * half) / step + 1e-9) + 1;
  const points: FocusCurvePoint[] = [];
  await o.z.moveTo(center - half - over);
  for (let i = 0; i < n; i++) {
    if (o.signal?.aborted) throw new DatasetError('cancelled', 'quick focus curve was cancelled');
    const reached = await o.z.moveTo(center - half + i * step);
    await sleep(o.z.settleMs() + (o.settleMs ?? 0), o.signal);
    const f = await o.camera.snap();
    const p = { z: reached, sharpness: sharpness(f, metric, f.width * f.height > 1_000_000 ? 2 : 1) };
    points.push(p);
    o.onPoint?.(p);
  }
  const { fitted: _f, ...label } = labelFocusCurve(points, metric, o.fit ?? DEFAULT_FIT);
  void _f;
  const zBestUm = label.zFocusUm ?? points.reduce((a, b) => (b.sharpness > a.sharpness ? b : a)).z;
  if (o.moveToBest !== false) {
    await o.z.moveTo(zBestUm - over);
    await o.z.moveTo(zBestUm);
  }
  return { points, label, zBestUm };
}
