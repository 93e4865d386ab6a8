/**
 * A sharpness sweep: visit planes in order, wait for settling, snap, measure. Planes are visited in
 * one direction after a take-up move past the start, so backlash affects every plane alike.
 */
import type { Camera, ZStage } from '../types';
import type { CurvePoint } from './curve';
import { checkAborted, sleep, type CalibrationProgress, type StepOptions } from './progress';
import { normalizedVariance } from './sharpness';

export interface SweepOptions extends StepOptions {
  step: CalibrationProgress['step'];
  /** Extra travel before the first plane, against the sweep direction (um). */
  takeUpUm?: number;
  /** Wait after each move (ms); default the stage's settle time. */
  settleMs?: number;
  /** Share of the step's progress this sweep covers. */
  progressSpan?: [number, number];
}

export async function sharpnessSweep(
  stage: ZStage,
  camera: Camera,
  zs: number[],
  options: SweepOptions,
): Promise<CurvePoint[]> {
  const settle = options.settleMs ?? stage.settleMs();
  const [p0, p1] = options.progressSpan ?? [0, 1];
  if (zs.length > 1 && options.takeUpUm) {
    const dir = Math.sign(zs[1] - zs[0]);
    const limits = stage.limits();
    const start = Math.min(limits.maxUm, Math.max(limits.minUm, zs[0] - dir * options.takeUpUm));
    await stage.moveTo(start);
  }
  const out: CurvePoint[] = [];
  for (let i = 0; i < zs.length; i++) {
    checkAborted(options.signal, options.step);
    const reached = await stage.moveTo(zs[i]);
    if (settle > 0) await sleep(settle);
    const frame = await camera.snap();
    out.push({ zUm: reached, sharpness: normalizedVariance(frame) });
    options.onProgress?.({
      step: options.step,
      fraction: p0 + ((p1 - p0) * (i + 1)) / zs.length,
      message: `plane ${i + 1}/${zs.length} at ${reached.toFixed(2)} um`,
    });
  }
  return out;
}
