/** A quick focus search: a coarse sharpness sweep around a centre, refined to the curve's peak. */
import type { Camera, ZStage } from '../types';
import { findPeak, planes, type CurvePeak, type CurvePoint } from './curve';
import { sharpnessSweep, type SweepOptions } from './sweep';

export interface FocusSearch {
  peak: CurvePeak;
  curve: CurvePoint[];
}

export async function quickFocus(
  stage: ZStage,
  camera: Camera,
  centerUm: number,
  rangeUm: number,
  stepUm: number,
  options: Omit<SweepOptions, 'takeUpUm'>,
): Promise<FocusSearch> {
  const limits = stage.limits();
  const lo = Math.max(limits.minUm, centerUm - rangeUm);
  const hi = Math.min(limits.maxUm, centerUm + rangeUm);
  const curve = await sharpnessSweep(stage, camera, planes(lo, hi, stepUm), { ...options, takeUpUm: stepUm * 4 });
  return { peak: findPeak(curve), curve };
}
