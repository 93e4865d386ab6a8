/**
 * The last step after the network: it has brought the stage within about 2 um, and it reads |d| to about 1 um there.
 * That is coarser than the tolerance, so sharpness decides the rest, with as few new images as it can:
 *
 *   1. One plane on the side where the network puts the focus, twice its reading away (1 to 4 um), so that the
 *      focus should lie half way between it and the plane just estimated.
 *   2. If the two planes straddle the focus, their sharpness ratio fixes it whatever the curve's width (pair.ts),
 *      provided the network's |d| at the second plane agrees (else the side was wrong, and the focus lies beyond
 *      the first plane): done, one new image.
 *      When they straddle it but one of them sits near it, the width of the curve decides where, and the network's
 *      reading of the other plane (1-3 um out, where it reads well) narrows that down: done too (pair.ts).
 *   3. Else a third plane where the pair puts the focus (or, side wrong, where the second plane's |d| puts it beyond
 *      the first; or one step beyond the sharper plane), and the classic curve fit over the three; a peak still at
 *      an end adds planes that way, one step at a time, unless the plane next to it is about as sharp and the
 *      network reads the end plane near focus: those two straddle the focus and settle it (edgePairFocus).
 *
 * Every plane is approached from below (backlash), the stage never leaves its limits, and the search stops early at
 * the time limit with the best fit so far.
 */
import type { Camera, Frame, ZStage } from '../../hardware/types';
import { DEFAULT_AUTOFOCUS_SETTINGS } from '../../shared/autofocus';
import type { FocusCurvePoint } from '../../shared/dataset';
import { bestPlane, ClassicCancelled, CLASSIC_METRIC, fitLabel, sharpnessOfFrame, type ClassicResult } from './classic';
import { clampToLimits, moveBacklashAware, sleep, withinLimits } from './move';
import { pairAgreementUm, pairFocus, pairFocusWithReadings, type PairFocus } from './pair';

/** Step between planes of the search (um): within the depth of field of a 20x or 40x dry objective. */
export const REFINE_STEP_UM = 1;
/**
 * The second plane goes at most this far (um). Twice a reading of 2 um: a pair that does not reach past the focus
 * extrapolates from the curve's tails, where the width is unknown, and settles wrongly (with a 2 um cap, planes read
 * at 2-2.5 um settled a quarter of the time and missed the focus by more than 0.25 um in most of those; see the
 * test "a reading near 2 um puts the planes either side of the focus").
 */
export const REFINE_MAX_SPACING_UM = 4;
/** Planes added one at a time beyond an end where the peak still sits, at most. */
export const REFINE_MAX_EXTRA_PLANES = 3;

export interface RefineOptions {
  camera: Camera;
  zStage: ZStage;
  /** The plane just estimated by the network (its sharpness already measured). */
  here: FocusCurvePoint;
  /** The network's reading there (um; the focus is at here.z - defocusUm), or a direction (see hereReadingUm). */
  defocusUm: number;
  /**
   * The network's own reading at `here` when defocusUm is not one (a bracket of visited planes only gives a
   * direction): the readings check of a pair uses it. Default: defocusUm.
   */
  hereReadingUm?: number;
  /** Depth of field of the optics (um): lets two planes settle the focus. Absent: three planes always. */
  depthOfFieldUm?: number;
  timeLimitMs?: number;
  signal?: AbortSignal;
  onFrame?: (frame: Frame, point: FocusCurvePoint) => void;
  /**
   * The network's |d| of a frame (null when it cannot read one). When given, a settled pair must agree with the
   * network's readings at both planes that they straddle the focus (readingsStraddle); absent, the pair is taken as
   * it is.
   */
  readMagnitude?: (frame: Frame) => Promise<number | null>;
  /** The readings' sign names the side of the focus (false for a model that reads |d| only). Default true. */
  readingSided?: boolean;
  /** The run's tolerance (um): how closely a pair must settle the focus (pairAgreementUm). Default: the settings'. */
  toleranceUm?: number;
}

export interface RefineResult extends ClassicResult {
  /**
   * 'pair': two planes settled it; 'pair+reading': two planes and the network's reading of one of them
   * (pairFocusWithReadings); 'fit': the classic fit over three or more.
   */
  how: 'pair' | 'pair+reading' | 'fit';
  pair: PairFocus | null;
}

export async function refineNearFocus(o: RefineOptions): Promise<RefineResult> {
  const t0 = performance.now();
  const limits = o.zStage.limits();
  const points: FocusCurvePoint[] = [o.here];
  let images = 0;
  const frames = new Map<FocusCurvePoint, Frame>();
  /**
   * The network's check of an edge pair (edgePairFocus): it must read the sharper plane within EDGE_PAIR_MAX_READING_UM,
   * as it does near focus and not in the curve's tail. Without a network reading the pair is taken as it is.
   */
  const readsNearFocus = async (p: FocusCurvePoint) => {
    if (!o.readMagnitude) return true;
    const frame = frames.get(p);
    const reading = frame ? await o.readMagnitude(frame) : p === o.here ? (o.hereReadingUm ?? o.defocusUm) : null;
    return reading !== null && Math.abs(reading) <= EDGE_PAIR_MAX_READING_UM;
  };
  const snapAt = async (z: number) => {
    if (o.signal?.aborted) throw new ClassicCancelled();
    const reached = await moveBacklashAware(o.zStage, clampToLimits(z, limits));
    await sleep(o.zStage.settleMs(), o.signal);
    const frame = await o.camera.snap();
    const point = { z: reached, sharpness: sharpnessOfFrame(frame, CLASSIC_METRIC) };
    images++;
    points.push(point);
    frames.set(point, frame);
    o.onFrame?.(frame, point);
    return { ...point, frame };
  };
  const isNew = (z: number) => withinLimits(z, limits) && points.every((p) => Math.abs(p.z - z) > 0.25);
  const end = async (
    how: RefineResult['how'],
    zFocusUm: number | null,
    label: ClassicResult['label'],
    pair: PairFocus | null,
    timedOut = false,
  ) => {
    const zBestUm = clampToLimits(zFocusUm ?? bestPlane(points), limits);
    await moveBacklashAware(o.zStage, zBestUm);
    const peakFound = zFocusUm !== null && (label === null || !label.flags.includes('low-contrast'));
    return { how, pair, zBestUm, zFocusUm, label, points, images, timedOut, peakFound };
  };

  // 1. The second plane, on the side the network names, spaced so that its focus falls in between.
  const toward = o.defocusUm > 0 ? -1 : 1;
  const spacing = Math.min(REFINE_MAX_SPACING_UM, Math.max(REFINE_STEP_UM, 2 * Math.abs(o.defocusUm)));
  let second = o.here.z + toward * spacing;
  if (!isNew(second)) second = o.here.z - toward * spacing; // at a soft limit: the other side
  if (!isNew(second)) return end('fit', null, null, null);
  const { frame: secondFrame, ...b } = await snapAt(second);

  // 2. Two planes straddling the focus settle it.
  const agreement = pairAgreementUm(o.toleranceUm ?? DEFAULT_AUTOFOCUS_SETTINGS.toleranceUm);
  const pair = o.depthOfFieldUm ? pairFocus(o.here, b, o.depthOfFieldUm, agreement) : null;
  const reading = o.readMagnitude ? await o.readMagnitude(secondFrame) : undefined;
  const hereReading = o.hereReadingUm ?? o.defocusUm;
  const straddles =
    typeof reading === 'number' ? readingsStraddle(hereReading, reading, Math.abs(b.z - o.here.z)) : null;
  if (pair?.settled && straddles !== false && reading !== null) return end('pair', pair.zFocusUm, null, pair);
  // One plane near the focus leaves the width too much say; the network's reading of the other one settles it.
  const narrowed =
    pair && straddles !== false && typeof reading === 'number'
      ? pairFocusWithReadings(
          pair,
          { ...o.here, readingUm: hereReading },
          { ...b, readingUm: reading },
          READING_FLOOR_UM,
          o.readingSided !== false,
          agreement,
        )
      : null;
  if (narrowed !== null) return end('pair+reading', narrowed, null, pair);
  const oneSide = straddles === false ? focusBeyond(o.here, hereReading, b, reading as number) : null;

  // 3. A third plane, then the classic fit, extended while the peak sits at an end.
  const [lower, upper] = o.here.z <= b.z ? [o.here, b] : [b, o.here];
  const sharperUp = upper.sharpness >= lower.sharpness;
  const beyond = sharperUp ? upper.z + REFINE_STEP_UM : lower.z - REFINE_STEP_UM;
  const guess =
    oneSide !== null
      ? clampToLimits(oneSide, limits)
      : pair
        ? clampToLimits(Math.min(upper.z + REFINE_STEP_UM, Math.max(lower.z - REFINE_STEP_UM, pair.zFocusUm)), limits)
        : beyond;
  const third = isNew(guess) ? guess : isNew(beyond) ? beyond : null;
  if (third !== null) await snapAt(third);
  let label = fitLabel(nearPeak(points), CLASSIC_METRIC);
  for (let extra = 0; extra < REFINE_MAX_EXTRA_PLANES && label?.flags.includes('peak-at-edge'); extra++) {
    if (o.timeLimitMs !== undefined && performance.now() - t0 > o.timeLimitMs) {
      return end('fit', label?.zFocusUm ?? null, label, pair, true);
    }
    const edge = o.depthOfFieldUm ? edgePairFocus(points, o.depthOfFieldUm, agreement) : null;
    if (edge && (await readsNearFocus(edge.edge))) return end('pair', edge.pair.zFocusUm, null, edge.pair);
    const zs = points.map((p) => p.z);
    const top = bestPlane(points) >= Math.max(...zs) - 1e-9;
    const next = top ? Math.max(...zs) + REFINE_STEP_UM : Math.min(...zs) - REFINE_STEP_UM;
    if (!isNew(next)) break;
    await snapAt(next);
    label = fitLabel(nearPeak(points), CLASSIC_METRIC);
  }
  return end('fit', label?.zFocusUm ?? null, label, pair);
}

/**
 * Do the network's readings at two planes say the focus lies between them? A pair has two answers: the focus between
 * its planes, or beyond the sharper one (the ratio of a sharp plane to a blurrier one is the same for both), and
 * pair.ts takes the one between. That is wrong when the network named the wrong side: the second plane went away from
 * the focus, and the pair then settles between the planes, 1-4 um off (in a simulation of the curve with a 1 % noise
 * floor, 12-30 % of wrong-side pairs read at 0.5-1.5 um settled so).
 *
 * The network's |d| tells the two apart even where its side is wrong: for planes either side of the focus the two
 * readings add up to the spacing, for planes on one side they differ by it. A model that reads k times the true |d|
 * (the shipped 20x one reads 1.5x on its worst held-out slide) scales both alike, so the closer ratio decides.
 * Null (no say) when a reading is below READING_FLOOR_UM.
 */
export function readingsStraddle(hereUm: number, secondUm: number, spacingUm: number): boolean | null {
  const a = Math.abs(hereUm);
  const b = Math.abs(secondUm);
  if (Math.min(a, b) < READING_FLOOR_UM) return null;
  const sum = Math.abs(Math.log((a + b) / spacingUm));
  const diff = Math.abs(Math.log(Math.max(Math.abs(a - b), 1e-3) / spacingUm));
  return sum <= diff;
}

/**
 * Below this the readings cannot tell (um): the shipped models read 0.45-0.5 um at focus, so a plane 0.1 um from
 * focus and one 0.9 um from it read alike and the sum-or-difference test above loses its power.
 */
export const READING_FLOOR_UM = 0.75;

/**
 * Two planes on one side of the focus by the network's readings: the focus lies beyond the plane that reads less,
 * as far as the mean of its reading and the other's less the spacing (half a step at least).
 */
export function focusBeyond(a: FocusCurvePoint, readingA: number, b: FocusCurvePoint, readingB: number): number {
  const [near, far, rNear, rFar] =
    Math.abs(readingB) <= Math.abs(readingA) ? [b, a, readingB, readingA] : [a, b, readingA, readingB];
  const spacing = Math.abs(near.z - far.z);
  const distance = Math.max(REFINE_STEP_UM / 2, (Math.abs(rNear) + Math.abs(rFar) - spacing) / 2);
  return near.z + Math.sign(near.z - far.z) * distance;
}

/**
 * The sharpest plane at an end of the planes is no peak to a curve fit, which then adds a plane beyond it. But when
 * its neighbour is about as sharp and the planes further on fall well below both, the two straddle the focus: on a
 * unimodal curve two planes of equal sharpness have the peak between them, whatever its width, and the pair settles
 * it (pair.ts) without that plane. It happens when the network's side near focus was wrong: the second plane went
 * away from the focus and the third, where the pair put the focus, landed on its far side about as sharp as the first.
 *
 * The planes further on must show the curve falling (below EDGE_PAIR_FALL of the sharpest): far out in the tail,
 * where the curve is flat above the noise floor, two planes of about equal sharpness say nothing of where the peak
 * is. Null when the pair does not settle, or puts the focus more than half the agreement outside its planes.
 */
export function edgePairFocus(
  points: ReadonlyArray<FocusCurvePoint>,
  depthOfFieldUm: number,
  agreementUm: number,
): { pair: PairFocus; edge: FocusCurvePoint } | null {
  if (points.length < 3) return null;
  const sorted = [...points].sort((a, b) => a.z - b.z);
  const top = sorted.reduce((best, p, k) => (p.sharpness > sorted[best].sharpness ? k : best), 0);
  if (top !== 0 && top !== sorted.length - 1) return null;
  const step = top === 0 ? 1 : -1;
  const edge = sorted[top];
  const neighbour = sorted[top + step];
  if (neighbour.sharpness < EDGE_PAIR_LEVEL * edge.sharpness) return null;
  const rest = sorted.filter((p) => p !== edge && p !== neighbour);
  if (!rest.every((p) => p.sharpness < EDGE_PAIR_FALL * edge.sharpness)) return null;
  const pair = pairFocus(edge, neighbour, depthOfFieldUm, agreementUm);
  if (!pair?.settled) return null;
  // Within half the agreement of the pair's planes: no further out than a pair straddling the focus puts it.
  const slack = agreementUm / 2;
  const near =
    pair.zFocusUm >= Math.min(edge.z, neighbour.z) - slack && pair.zFocusUm <= Math.max(edge.z, neighbour.z) + slack;
  return near ? { pair, edge } : null;
}
/**
 * The planes beyond an edge pair must fall below this share of the sharpest (the curve shows its peak). Near focus
 * at 40x the plane 1-1.5 um beyond the pair reads 0.24-0.37 of the sharpest (bench:autofocus --setup 40x --trace);
 * in the tail, where the noise floor flattens the curve, all planes are about as sharp.
 */
export const EDGE_PAIR_FALL = 0.5;
/** The neighbour of the sharpest plane must be at least this share of it: about as sharp. */
export const EDGE_PAIR_LEVEL = 0.7;
/**
 * The network must read the sharpest plane of an edge pair within this (um). On the curve of pair.ts with 3 % noise
 * and a 1-5 % noise floor, edge pairs settled 2-8 um out in the tail (the planes about as sharp there); with the edge
 * plane within 1.6 um of the focus (read within 2 um at up to 1.25x), every one settled within 0.37 um of it
 * (test/unit/autofocus/refine.test.ts).
 */
export const EDGE_PAIR_MAX_READING_UM = 2;

/**
 * The planes within FIT_REACH_UM of the sharpest, for the curve fit (all of them when fewer than three are): a plane
 * far out in the tail, where a wrong side sent the second plane, pulls a Gaussian fit off the peak.
 */
export function nearPeak(points: FocusCurvePoint[]): FocusCurvePoint[] {
  const best = bestPlane(points);
  const near = points.filter((p) => Math.abs(p.z - best) <= FIT_REACH_UM);
  return near.length >= 3 ? near : points;
}
/** How far from the sharpest plane the fit looks (um): twice the widest plausible curve at 20x. */
export const FIT_REACH_UM = 3;

/** Where a search around visited planes starts: the sharpest one, and a reading that points at its sharper neighbour. */
export interface Bracket {
  here: FocusCurvePoint;
  /** Signed so that refineNearFocus's second plane goes toward the sharper neighbour, half way at most. */
  defocusUm: number;
}

/**
 * The planes a network run visited bracket the focus when the sharpest of them has a blurrier plane on each side
 * (sharpness is unimodal around focus). The focus then lies between it and its sharper neighbour. Null when the
 * sharpest is at an end of the visited range, or fewer than three planes were visited.
 *
 * Planes closer than ONE_PLANE_UM count as one (the sharper of them): far from focus the curve is flat, and which of
 * two such planes is sharper is down to noise. Taken apart, they made a bracket 0.25 um wide in the curve's tail, and
 * the pair searched there settled 3.9 um from focus (bench:autofocus --setup 40x --mono, a run that visited -3.78 and
 * -3.53 um).
 */
export function bracketOfVisited(visited: ReadonlyArray<FocusCurvePoint>, maxReadingUm = 2): Bracket | null {
  const pts = onePerPlane(visited.filter((p) => Number.isFinite(p.z) && p.sharpness > 0));
  if (pts.length < 3) return null;
  const i = pts.reduce((best, p, k) => (p.sharpness > pts[best].sharpness ? k : best), 0);
  if (i === 0 || i === pts.length - 1) return null;
  const here = pts[i];
  const neighbour = pts[i - 1].sharpness >= pts[i + 1].sharpness ? pts[i - 1] : pts[i + 1];
  const toward = neighbour.z > here.z ? 1 : -1;
  const reach = Math.min(maxReadingUm, Math.abs(neighbour.z - here.z) / 2);
  // refineNearFocus puts its second plane at here.z - sign(defocus) * spacing.
  return { here, defocusUm: -toward * reach };
}

/** Visited planes closer than this (um) are one plane to a bracket: half the refine step. */
export const ONE_PLANE_UM = REFINE_STEP_UM / 2;

/** The planes sorted by z, each run of planes closer than ONE_PLANE_UM to the previous one kept as its sharpest. */
function onePerPlane(points: ReadonlyArray<FocusCurvePoint>): FocusCurvePoint[] {
  const sorted = [...points].sort((a, b) => a.z - b.z);
  const kept: FocusCurvePoint[] = [];
  let groupEnd = -Infinity;
  for (const p of sorted) {
    const last = kept[kept.length - 1];
    if (last && p.z - groupEnd < ONE_PLANE_UM) {
      if (p.sharpness > last.sharpness) kept[kept.length - 1] = p;
    } else {
      kept.push(p);
    }
    groupEnd = p.z;
  }
  return kept;
}
