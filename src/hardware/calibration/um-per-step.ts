/**
 * Um-per-step check. The stage only knows steps; whether a "1 um" command moves 1 um is a
 * property of the lead screw, gearing and microstepping, which the controller cannot see.
 * The sharpness curve gives an optical ruler: its width (FWHM) is set by the optics (NA,
 * wavelength, pixel size), so a curve measured in commanded um that is k times wider than the
 * optics predict means the steps per um are k times too high. The expected width comes from the
 * optical setup (or the virtual microscope); the accuracy is that of the prediction (~20 %), enough
 * to catch microstepping or gearing mistakes, not to replace a dial gauge.
 */
import { HardwareError, type Camera, type ZStage } from '../types';
import { approach } from '../stage/approach';
import { quickFocus } from './focus';
import type { CurvePoint } from './curve';
import type { StepOptions } from './progress';

export interface UmPerStepOptions extends StepOptions {
  /** FWHM of the sharpness curve the optics predict (um). */
  expectedFwhmUm: number;
  /** The steps per um currently configured. */
  configuredStepsPerUm: number;
  focusUm?: number;
  /** Accepted |ratio - 1| (default 0.25). */
  tolerance?: number;
  /** Sweep half-range and plane spacing (um); default 4x and 1/8 of the expected width. The width at half maximum
   * is measured above the curve's floor, which depends on the range: compare curves swept on the same grid. */
  rangeUm?: number;
  stepUm?: number;
}

export interface UmPerStepResult {
  measuredFwhmUm: number;
  expectedFwhmUm: number;
  /** measured / expected. */
  ratio: number;
  suggestedStepsPerUm: number;
  verdict: 'ok' | 'suspect';
  curve: CurvePoint[];
  explanation: string;
}

export async function checkUmPerStep(
  stage: ZStage,
  camera: Camera,
  options: UmPerStepOptions,
): Promise<UmPerStepResult> {
  const expected = options.expectedFwhmUm;
  if (!(expected > 0) || !(options.configuredStepsPerUm > 0)) {
    throw new HardwareError(
      'config',
      'the um-per-step check needs a positive expected curve width and the configured steps per um',
    );
  }
  const start = await stage.position();
  const center = options.focusUm ?? start;
  const step = options.stepUm ?? expected / 8;
  // Wide enough for a scale error of up to ~3x either way.
  const { peak, curve } = await quickFocus(stage, camera, center, options.rangeUm ?? expected * 4, step, {
    step: 'um-per-step',
    onProgress: options.onProgress,
    signal: options.signal,
  });
  await approach(stage, start, { fromBelow: true, overshootUm: step * 4 });
  if (peak.atEdge || peak.fwhmUm === null) {
    throw new HardwareError(
      'config',
      'The sharpness curve has no complete peak in range: focus first, then check the steps per um',
    );
  }
  const ratio = peak.fwhmUm / expected;
  const tolerance = options.tolerance ?? 0.25;
  const verdict = Math.abs(ratio - 1) <= tolerance ? 'ok' : 'suspect';
  const suggested = options.configuredStepsPerUm * ratio;
  return {
    measuredFwhmUm: peak.fwhmUm,
    expectedFwhmUm: expected,
    ratio,
    suggestedStepsPerUm: suggested,
    verdict,
    curve,
    explanation:
      verdict === 'ok'
        ? `The focus curve is ${peak.fwhmUm.toFixed(2)} um wide, as the optics predict (${expected.toFixed(2)} um): steps per um look right.`
        : `The focus curve is ${ratio.toFixed(2)}x the predicted width: the stage probably moves ${(1 / ratio).toFixed(2)} um per commanded um. ` +
          `Try ${suggested.toPrecision(4)} steps per um and check again.`,
  };
}
