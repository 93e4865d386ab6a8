/**
 * Depth of field from a quick stack: the full width at half maximum of the sharpness curve
 * (normalised variance above its floor). It is the axial range over which this optics, camera and
 * sample look sharp - the number that tells how fine a stack must be and how close autofocus must get.
 */
import { HardwareError, type Camera, type ZStage } from '../types';
import { approach } from '../stage/approach';
import type { CurvePoint } from './curve';
import { quickFocus } from './focus';
import type { StepOptions } from './progress';

export interface DepthOfFieldOptions extends StepOptions {
  focusUm?: number;
  rangeUm?: number;
  stepUm?: number;
}

export interface DepthOfFieldResult {
  dofUm: number;
  focusUm: number;
  curve: CurvePoint[];
  explanation: string;
}

export async function measureDepthOfField(
  stage: ZStage,
  camera: Camera,
  options: DepthOfFieldOptions = {},
): Promise<DepthOfFieldResult> {
  const start = await stage.position();
  const step = options.stepUm ?? 0.5;
  const { peak, curve } = await quickFocus(stage, camera, options.focusUm ?? start, options.rangeUm ?? 10, step, {
    step: 'depth-of-field',
    onProgress: options.onProgress,
    signal: options.signal,
  });
  await approach(stage, start, { fromBelow: true, overshootUm: step * 4 });
  if (peak.atEdge || peak.fwhmUm === null) {
    throw new HardwareError(
      'config',
      'The stack does not contain the whole focus peak: widen the range or focus first',
    );
  }
  return {
    dofUm: peak.fwhmUm,
    focusUm: peak.zUm,
    curve,
    explanation: `Sharpness stays above half its peak over ${peak.fwhmUm.toFixed(2)} um around ${peak.zUm.toFixed(2)} um.`,
  };
}
