/**
 * Z direction check. DESIGN.md: +z moves the objective AWAY from the sample.
 *
 * What a program can observe:
 *  1. A +z command changes the reported position by +z and changes the image (the axis moves,
 *     the mapping is self-consistent). This cannot tell the physical direction.
 *  2. The optical sign. Light that has passed a phase object (cells, tissue: denser than the
 *     medium, so a weak positive lens) converges downstream of it. Focusing past the sample along
 *     the light path is, on upright and inverted stands alike, moving the objective away from the
 *     sample: +z. So at +d dense structures turn brighter, at -d darker (transport of intensity:
 *     dI/dz = -(lambda/2 pi) div(I grad phi)): the difference O = I(+a) - I(-a) is odd in d.
 *     Its sign cannot be read from O alone - whether bright or dark extremes dominate depends on
 *     how much of the field the sample fills - so it is compared with the defocus blur
 *     E = (I(+a) + I(-a))/2 - I(0), which is even in d and does not depend on the direction:
 *       - stained samples (phase grows with optical density): O ~ -lap(phi) and E ~ lap(I) have the
 *         same shape, so corr(O, E) > 0 when +z really is "away" and < 0 when it is reversed;
 *       - this needs equal blur at +a and -a (a well-corrected objective: the focus curve is
 *         symmetric); spherical aberration makes the blur itself odd and the comparison unreliable.
 *     When the focus curve is clearly asymmetric, planes of equal sharpness are compared instead and
 *     the skewness of O decides (isolated phase objects on an empty background: bright centres).
 *     On the virtual microscope (aberration-free by default) the correlation is exact; on real slides
 *     it needs some phase in the field and is reported as undetermined when the signal is weak.
 *
 * What only the operator can confirm: watching the objective (or the focus knob's markings)
 * while the stage makes the +z move. The result therefore always asks for that confirmation.
 */
import { HardwareError, type Camera, type Frame, type ZStage } from '../types';
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
  /** Distance either side of focus for the even/odd comparison (um); default half the focus curve's width. */
  phaseOffsetUm?: number;
  /** |corr(odd, even)| below this: too little phase signal to decide (default 0.1). */
  correlationThreshold?: number;
  /** The focus curve counts as symmetric when the plane below focus as sharp as focus + offset lies within this
   * fraction of offset from focus - offset (default 0.2). */
  symmetryTolerance?: number;
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
  /** Skewness of I(+a) - I(-a) at planes of equal sharpness (the asymmetric-blur method). */
  phaseSkew: number;
  /** The focus curve is symmetric enough to compare planes at equal distances (the correlation method). */
  blurSymmetric: boolean;
  /** corr(I(+a) - I(-a), (I(+a) + I(-a))/2 - I(0)) at equal distances: positive when +z moves the objective away. */
  evenOddCorrelation: number | null;
  /** Which statistic gave the verdict. */
  method: 'even-odd-correlation' | 'phase-skewness';
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
    progressSpan: [0.15, 0.65] as [number, number],
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
  // The even/odd comparison needs focus to a small fraction of the depth of field: a focus error adds an odd
  // term shaped like the blur. A fine sweep around the coarse peak gives it.
  const focusUm =
    options.focusUm ??
    (
      await quickFocus(stage, camera, found.peak.zUm, 2, 0.25, {
        ...sweepOptions,
        progressSpan: [0.7, 0.75] as [number, number],
      })
    ).peak.zUm;
  // Objectives can blur unevenly above and below focus (spherical aberration): then compare planes of equal
  // sharpness, not equal distance, so the even (absorption) blur cancels and the odd phase term stays.
  const matched = findMatchingBelow(found.curve, focusUm, offset);
  const belowOffset = matched ?? offset;
  // A curve that never falls as low below focus as above it is asymmetric too.
  const blurSymmetric = matched !== null && Math.abs(matched - offset) <= (options.symmetryTolerance ?? 0.2) * offset;
  progress(0.75, 'imaging either side of focus');
  const snapAt = async (z: number) => {
    await approach(stage, z, { fromBelow: true, overshootUm: offset });
    if (stage.settleMs() > 0) await sleep(stage.settleMs());
    checkAborted(options.signal, 'direction');
    return camera.snap();
  };
  const optics = blurSymmetric
    ? await evenOddVerdict(snapAt, focusUm, phaseOffsetFor(options, found.peak.fwhmUm, offset), options)
    : matched !== null
      ? await skewVerdict(snapAt, focusUm, offset, matched, options)
      : unmatchedBlur();
  await approach(stage, start, { fromBelow: true, overshootUm: offset });
  progress(1, 'done');

  const { opticalVerdict } = optics;
  return {
    belowOffsetUm: belowOffset,
    oddFraction: optics.oddFraction,
    readbackDeltaUm,
    readbackOk,
    imageChanged: optics.imageChanged,
    focusUm,
    phaseSkew: optics.phaseSkew,
    blurSymmetric,
    evenOddCorrelation: optics.correlation,
    method: optics.method,
    opticalVerdict,
    operatorMustConfirm: true,
    instructions:
      `Watch the objective (or the fine-focus knob) while the stage moves +${offset} um: the objective must move AWAY from ` +
      'the sample (the gap grows). If it moves towards the sample, set the stage direction to -1 in the hardware profile.',
    explanation: explain(opticalVerdict, optics.method),
  };
}

type Verdict = DirectionCheckResult['opticalVerdict'];

interface OpticalEvidence {
  opticalVerdict: Verdict;
  method: DirectionCheckResult['method'];
  correlation: number | null;
  phaseSkew: number;
  oddFraction: number;
  imageChanged: boolean;
}

type SnapAt = (zUm: number) => Promise<Frame>;

/** Half the focus curve's width: the phase term is strong there and has not yet changed sign at fine detail. */
function phaseOffsetFor(options: DirectionCheckOptions, fwhmUm: number | null, offset: number): number {
  if (options.phaseOffsetUm !== undefined) return options.phaseOffsetUm;
  if (fwhmUm === null) return Math.min(1.5, offset);
  return Math.min(offset, Math.max(0.5, fwhmUm / 2));
}

/** Symmetric blur: the odd part of defocus must have the shape of the even part (stained samples). */
async function evenOddVerdict(
  snapAt: SnapAt,
  focusUm: number,
  a: number,
  options: DirectionCheckOptions,
): Promise<OpticalEvidence> {
  const below = await snapAt(focusUm - a);
  const inFocus = await snapAt(focusUm);
  const above = await snapAt(focusUm + a);
  const [gb, g0, ga] = [toGrey(below), toGrey(inFocus), toGrey(above)];
  const odd = new Float64Array(ga.length);
  const even = new Float64Array(ga.length);
  for (let i = 0; i < ga.length; i++) {
    odd[i] = ga[i] - gb[i];
    even[i] = (ga[i] + gb[i]) / 2 - g0[i];
  }
  const correlation = pearson(odd, even);
  const imageChanged = relativeDifference(above, below) > 1e-3;
  const decided = imageChanged && Math.abs(correlation) >= (options.correlationThreshold ?? 0.1);
  return {
    opticalVerdict: !decided ? 'undetermined' : correlation > 0 ? 'consistent' : 'reversed',
    method: 'even-odd-correlation',
    correlation,
    phaseSkew: skewness(odd),
    oddFraction: std(odd) / ((std(ga) + std(gb)) / 2 || 1),
    imageChanged,
  };
}

/** Asymmetric blur: planes of equal sharpness; bright (positive) extremes of the odd part mean "away". */
async function skewVerdict(
  snapAt: SnapAt,
  focusUm: number,
  offset: number,
  belowOffset: number,
  options: DirectionCheckOptions,
): Promise<OpticalEvidence> {
  const below = await snapAt(focusUm - belowOffset);
  const above = await snapAt(focusUm + offset);
  const gb = toGrey(below);
  const ga = toGrey(above);
  const m = (mean(ga) + mean(gb)) / 2 || 1;
  const diff = new Float64Array(ga.length);
  for (let i = 0; i < ga.length; i++) diff[i] = (ga[i] - gb[i]) / m;
  const phaseSkew = skewness(diff);
  const oddFraction = std(diff) / ((std(ga) + std(gb)) / 2 / m || 1);
  const imageChanged = relativeDifference(above, below) > 1e-3;
  // A skewed but tiny difference is what imperfectly matched blur leaves on an absorbing sample.
  const enoughPhase = oddFraction >= (options.minOddFraction ?? 0.08);
  const decided = imageChanged && enoughPhase && Math.abs(phaseSkew) >= (options.skewThreshold ?? 0.3);
  return {
    opticalVerdict: !decided ? 'undetermined' : phaseSkew > 0 ? 'consistent' : 'reversed',
    method: 'phase-skewness',
    correlation: null,
    phaseSkew,
    oddFraction,
    imageChanged,
  };
}

/** No plane below focus is as blurred as focus + offset: the blur cannot be cancelled, so nothing is decided. */
function unmatchedBlur(): OpticalEvidence {
  return {
    opticalVerdict: 'undetermined',
    method: 'phase-skewness',
    correlation: null,
    phaseSkew: 0,
    oddFraction: 0,
    imageChanged: true,
  };
}

function pearson(a: Float64Array, b: Float64Array): number {
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

function explain(verdict: Verdict, method: DirectionCheckResult['method']): string {
  const how =
    method === 'even-odd-correlation'
      ? 'Compared the part of the image change that flips across focus with the blur (which does not):'
      : 'The focus curve is asymmetric, so planes of equal sharpness were compared:';
  if (verdict === 'consistent') {
    return `${how} dense structures turn brighter above focus and darker below it, as expected when +z moves the objective away from the sample.`;
  }
  if (verdict === 'reversed') {
    return `${how} dense structures turn DARKER above focus: +z appears to move the objective towards the sample. Check by eye; the stage direction is probably inverted.`;
  }
  return `${how} too little phase contrast in this field to tell the direction from the images (empty field or a purely absorbing sample); rely on the operator check.`;
}

/** The distance below focus where the curve is as sharp as it is `offset` above; `offset` when it cannot tell. */
export function matchingOffsetBelow(curve: CurvePoint[], focusUm: number, offset: number): number {
  return findMatchingBelow(curve, focusUm, offset) ?? offset;
}

/** As matchingOffsetBelow, but null when the curve does not reach the matching sharpness on either side. */
function findMatchingBelow(curve: CurvePoint[], focusUm: number, offset: number): number | null {
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
  if (target === null) return null;
  const below = pts.filter((p) => p.zUm <= focusUm).reverse();
  for (let i = 0; i < below.length - 1; i++) {
    const [a, b] = [below[i], below[i + 1]];
    if (a.sharpness >= target && b.sharpness <= target) {
      const f = (a.sharpness - target) / (a.sharpness - b.sharpness || 1);
      const z = a.zUm + f * (b.zUm - a.zUm);
      return Math.min(3 * offset, Math.max(offset / 3, focusUm - z));
    }
  }
  return null;
}
