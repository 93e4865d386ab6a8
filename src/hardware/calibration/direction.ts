/**
 * Z direction check. DESIGN.md: +z moves the objective AWAY from the sample.
 *
 * What a program can observe:
 *  1. A +z command changes the reported position by +z and changes the image (the axis moves,
 *     the mapping is self-consistent). This cannot tell the physical direction.
 *  2. The optical sign. Light that has passed a phase object (cells, tissue: denser than the
 *     medium, so a weak positive lens) converges downstream of it. Focusing past the sample along
 *     the light path is, on upright and inverted stands alike, moving the objective away from the
 *     sample: +z. So at +d the object centres turn brighter, at -d darker (transport of intensity:
 *     dI/dz = -(lambda/2 pi) div(I grad phi)). The difference I(+a) - I(-a) cancels the absorption
 *     blur (even in d) and keeps this phase term (odd in d): its bright extremes dominate
 *     (positive skewness) when +z really is "away". On the virtual microscope this is exact; on
 *     real slides it needs phase contrast in the field (unstained or lightly stained cells) and is
 *     reported as undetermined when the signal is weak.
 *
 * What only the operator can confirm: watching the objective (or the focus knob's markings)
 * while the stage makes the +z move. The result therefore always asks for that confirmation.
 */
import { HardwareError, type Camera, type ZStage } from '../types';
import { approach } from '../stage/approach';
import { quickFocus } from './focus';
import { checkAborted, sleep, type StepOptions } from './progress';
import { mean, relativeDifference, skewness, std, toGrey } from './sharpness';
import type { CurvePoint } from './curve';

export interface DirectionCheckOptions extends StepOptions {
  /** Best focus (um) when already known; otherwise found by a quick sweep around the current z. */
  focusUm?: number;
  /** Distance either side of focus for the phase images, and the +z test move (um). */
  offsetUm?: number;
  searchRangeUm?: number;
  searchStepUm?: number;
  /** |skewness| below this: too little phase signal to decide. */
  skewThreshold?: number;
  /** std(I+ - I-) relative to the images' own contrast below this: too little phase signal. */
  minOddFraction?: number;
}

export interface DirectionCheckResult {
  /** Reported position change for a +offset command (should equal +offset). */
  readbackDeltaUm: number;
  readbackOk: boolean;
  /** The image at focus+offset differs from the one at focus-offset beyond noise. */
  imageChanged: boolean;
  focusUm: number;
  /** Distance below focus whose sharpness matches focus + offset (the plane compared with it). */
  belowOffsetUm: number;
  /** Contrast of I(+a) - I(-a) relative to the images' own contrast: how much phase signal there is. */
  oddFraction: number;
  /** Skewness of I(+a) - I(-a): positive when +z moves the objective away from the sample. */
  phaseSkew: number;
  opticalVerdict: 'consistent' | 'reversed' | 'undetermined';
  operatorMustConfirm: true;
  instructions: string;
  explanation: string;
}

export async function checkZDirection(
  stage: ZStage,
  camera: Camera,
  options: DirectionCheckOptions = {},
): Promise<DirectionCheckResult> {
  const offset = options.offsetUm ?? 5;
  const progress = (fraction: number, message: string) =>
    options.onProgress?.({ step: 'direction', fraction, message });
  const start = await stage.position();

  // 1. Mechanical consistency: the +offset command, read back.
  progress(0.05, `moving +${offset} um and reading the position back`);
  const before = await stage.position();
  const after = await stage.moveBy(offset);
  const readbackDeltaUm = after - before;
  const readbackOk = Math.abs(readbackDeltaUm - offset) <= Math.max(0.05 * offset, 0.2);
  await stage.moveTo(before);
  checkAborted(options.signal, 'direction');

  // 2. Optical sign from the odd (phase) part of defocus.
  progress(0.15, 'measuring the focus curve');
  const sweepOptions = {
    step: 'direction' as const,
    onProgress: options.onProgress,
    signal: options.signal,
    progressSpan: [0.15, 0.7] as [number, number],
  };
  const found =
    options.focusUm === undefined
      ? await quickFocus(stage, camera, start, options.searchRangeUm ?? 20, options.searchStepUm ?? 1, sweepOptions)
      : await quickFocus(stage, camera, options.focusUm, 2 * offset, offset / 8, sweepOptions);
  if (options.focusUm === undefined && found.peak.atEdge) {
    throw new HardwareError(
      'config',
      'No focus peak inside the search range: focus roughly by hand, then run the direction check again',
    );
  }
  const focusUm = options.focusUm ?? found.peak.zUm;
  // Objectives blur unevenly above and below focus (spherical aberration): compare planes of equal
  // sharpness, not equal distance, so the even (absorption) blur cancels and the odd phase term stays.
  const belowOffset = matchingOffsetBelow(found.curve, focusUm, offset);
  progress(0.75, 'imaging either side of focus');
  const settle = stage.settleMs();
  await approach(stage, focusUm - belowOffset, { fromBelow: true, overshootUm: offset });
  if (settle > 0) await sleep(settle);
  const below = await camera.snap();
  await approach(stage, focusUm + offset, { fromBelow: true, overshootUm: offset });
  if (settle > 0) await sleep(settle);
  const above = await camera.snap();
  const gb = toGrey(below);
  const ga = toGrey(above);
  const m = (mean(ga) + mean(gb)) / 2 || 1;
  const diff = new Float64Array(ga.length);
  for (let i = 0; i < ga.length; i++) diff[i] = (ga[i] - gb[i]) / m;
  const phaseSkew = skewness(diff);
  const oddFraction = std(diff) / ((std(ga) + std(gb)) / 2 / m || 1);
  const imageChanged = relativeDifference(above, below) > 1e-3;
  const threshold = options.skewThreshold ?? 0.3;
  // A skewed but tiny difference is what imperfectly matched blur leaves on an absorbing sample.
  const enoughPhase = oddFraction >= (options.minOddFraction ?? 0.08);
  const opticalVerdict =
    !imageChanged || !enoughPhase || Math.abs(phaseSkew) < threshold
      ? 'undetermined'
      : phaseSkew > 0
        ? 'consistent'
        : 'reversed';
  await approach(stage, start, { fromBelow: true, overshootUm: offset });
  progress(1, 'done');

  return {
    belowOffsetUm: belowOffset,
    oddFraction,
    readbackDeltaUm,
    readbackOk,
    imageChanged,
    focusUm,
    phaseSkew,
    opticalVerdict,
    operatorMustConfirm: true,
    instructions:
      `Watch the objective (or the fine-focus knob) while the stage moves +${offset} um: the objective must move AWAY from ` +
      'the sample (the gap grows). If it moves towards the sample, set the stage direction to -1 in the hardware profile.',
    explanation:
      opticalVerdict === 'consistent'
        ? 'Objects turn brighter above focus and darker below it, as expected when +z moves the objective away from the sample.'
        : opticalVerdict === 'reversed'
          ? 'Objects turn DARKER above focus: +z appears to move the objective towards the sample. Check by eye; the stage direction is probably inverted.'
          : 'Too little phase contrast in this field to tell the direction from the images (stained or empty field); rely on the operator check.',
  };
}

/** The distance below focus where the curve is as sharp as it is `offset` above; `offset` when it cannot tell. */
export function matchingOffsetBelow(curve: CurvePoint[], focusUm: number, offset: number): number {
  const pts = [...curve].sort((a, b) => a.zUm - b.zUm);
  const at = (z: number): number | null => {
    for (let i = 0; i < pts.length - 1; i++) {
      if (pts[i].zUm <= z && z <= pts[i + 1].zUm) {
        const f = (z - pts[i].zUm) / (pts[i + 1].zUm - pts[i].zUm || 1);
        return pts[i].sharpness + f * (pts[i + 1].sharpness - pts[i].sharpness);
      }
    }
    return null;
  };
  const target = at(focusUm + offset);
  if (target === null) return offset;
  const below = pts.filter((p) => p.zUm <= focusUm).reverse();
  for (let i = 0; i < below.length - 1; i++) {
    const [a, b] = [below[i], below[i + 1]];
    if (a.sharpness >= target && b.sharpness <= target) {
      const f = (a.sharpness - target) / (a.sharpness - b.sharpness || 1);
      const z = a.zUm + f * (b.zUm - a.zUm);
      return Math.min(3 * offset, Math.max(offset / 3, focusUm - z));
    }
  }
  return offset;
}
