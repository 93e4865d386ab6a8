/**
 * Backlash: find the sharpness peak sweeping upward, then sweeping downward. With slack in the
 * drive, the stage lags behind its command after a reversal, so the two peaks fall at different
 * commanded positions; their distance is the backlash.
 */
import { HardwareError, type Camera, type ZStage } from '../types';
import { approach } from '../stage/approach';
import { findPeak, planes, type CurvePoint } from './curve';
import type { StepOptions } from './progress';
import { sharpnessSweep } from './sweep';

export interface BacklashOptions extends StepOptions {
  focusUm?: number;
  rangeUm?: number;
  stepUm?: number;
  /** Travel past each sweep's first plane to take up the slack (um). */
  takeUpUm?: number;
}

export interface BacklashResult {
  peakUpUm: number;
  peakDownUm: number;
  /** peakUp - peakDown: the slack taken up at a reversal (um, >= 0 for an ordinary lagging drive). */
  backlashUm: number;
  /** Overshoot to use with approach(): twice the backlash, at least one step. */
  recommendedOvershootUm: number;
  upCurve: CurvePoint[];
  downCurve: CurvePoint[];
  explanation: string;
}

export async function measureBacklash(
  stage: ZStage,
  camera: Camera,
  options: BacklashOptions = {},
): Promise<BacklashResult> {
  const start = await stage.position();
  const center = options.focusUm ?? start;
  const range = options.rangeUm ?? 8;
  const step = options.stepUm ?? 0.5;
  const takeUp = options.takeUpUm ?? range;
  const limits = stage.limits();
  const lo = Math.max(limits.minUm, center - range);
  const hi = Math.min(limits.maxUm, center + range);
  const common = {
    step: 'backlash' as const,
    onProgress: options.onProgress,
    signal: options.signal,
    takeUpUm: takeUp,
  };
  const upCurve = await sharpnessSweep(stage, camera, planes(lo, hi, step), { ...common, progressSpan: [0, 0.5] });
  const downCurve = await sharpnessSweep(stage, camera, planes(hi, lo, step), { ...common, progressSpan: [0.5, 1] });
  const up = findPeak(upCurve);
  const down = findPeak(downCurve);
  await approach(stage, start, { fromBelow: true, overshootUm: takeUp });
  if (up.atEdge || down.atEdge) {
    throw new HardwareError(
      'config',
      'The focus peak is not inside the sweep in both directions: focus first, or widen the range',
    );
  }
  const backlashUm = up.zUm - down.zUm;
  return {
    peakUpUm: up.zUm,
    peakDownUm: down.zUm,
    backlashUm,
    recommendedOvershootUm: Math.max(2 * Math.abs(backlashUm), step),
    upCurve,
    downCurve,
    explanation:
      `Focus is found at ${up.zUm.toFixed(2)} um moving up and ${down.zUm.toFixed(2)} um moving down: ` +
      `${Math.abs(backlashUm).toFixed(2)} um of backlash (resolution about ${(step / 4).toFixed(2)} um). ` +
      'Approach every plane from the same side (approach() with this overshoot).',
  };
}
