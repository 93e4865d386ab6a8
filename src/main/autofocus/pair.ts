/**
 * Focus from two planes near it. Near focus a brightfield sharpness curve (tenengrad) follows
 *   S(z) = A / (1 + ((z - z0) / w)^2)^1.5
 * closely: fitted over +-2.5 um on six slides at 20x and 40x on the virtual microscope, this shape left a third of
 * the residual of a Gaussian, and w came out between 0.77 and 1.4 depths of field, depending on the sample.
 *
 * Two planes fix A and z0 once w is known, and w depends on the sample. So the focus is solved for widths across the
 * plausible range, and the pair settles the focus only where the answers agree. They agree when
 * the planes straddle the focus: equal sharpness puts the focus at the midpoint for any symmetric curve, whatever its
 * width. Otherwise a third plane is needed (refine.ts).
 */
import type { FocusCurvePoint } from '../../shared/dataset';

/** The exponent of the curve's shape above. */
export const FOCUS_CURVE_POWER = 1.5;
/** Plausible curve widths w, in depths of field (measured 0.77..1.4, with a margin for other optics). */
export const WIDTH_RANGE_DOF: readonly [number, number] = [0.65, 1.5];
/**
 * The answers for the plausible widths must agree this closely (um) for the pair to settle the focus, at the default
 * tolerance of 0.25 um. The pair then puts the focus within 0.3 um of every answer; on the held-out slides the pairs
 * that settled ended 0.14-0.21 um from focus at p95 (bench:autofocus).
 */
export const PAIR_AGREEMENT_UM = 0.6;
/**
 * How closely a pair's answers must agree for a run with this tolerance (um): twice the tolerance, so that the focus
 * it settles is within the tolerance of every answer, and PAIR_AGREEMENT_UM at least. A looser tolerance then settles
 * more pairs with two planes. A tighter one does not tighten it: the pairs it refuses go to the curve fit over three
 * or more planes 1 um apart, which is coarser than the pair (with the agreement at 0.24 um for a 0.1 um tolerance,
 * bench:autofocus --tolerance 0.1 gave p95 final |d| 0.14 -> 0.21 um at 20x and 0.20 -> 0.24 at 40x, with 0.3-0.5
 * more images per focus).
 */
export function pairAgreementUm(toleranceUm: number): number {
  return Math.max(PAIR_AGREEMENT_UM, 2 * toleranceUm);
}
/** The pair does not extrapolate further than this beyond its planes (um). */
export const PAIR_REACH_UM = 1;

export interface PairFocus {
  /** Focus midway between the extreme answers of the plausible widths. */
  zFocusUm: number;
  /** How far apart the answers for the plausible widths are (um). */
  spreadUm: number;
  /** The lowest and highest answer over the plausible widths (um). */
  zMinUm: number;
  zMaxUm: number;
  /** How many of the sampled widths explain the pair at all. */
  widths: number;
  /** The answers agree and stay within reach of the planes: no third plane is needed. */
  settled: boolean;
}

const logShape = (u: number) => -FOCUS_CURVE_POWER * Math.log1p(u * u);

/**
 * The focus z0 for which a curve of width w passes through both planes' sharpness ratio, or null. The root nearest
 * the planes' midpoint: far from both planes the ratio tends to 1 again, and that second root means nothing.
 */
export function focusFromPair(a: FocusCurvePoint, b: FocusCurvePoint, widthUm: number): number | null {
  const [p, q] = a.z <= b.z ? [a, b] : [b, a];
  if (!(p.sharpness > 0 && q.sharpness > 0) || q.z - p.z < 1e-6 || !(widthUm > 0)) return null;
  const target = Math.log(q.sharpness / p.sharpness);
  const f = (z0: number) => logShape((q.z - z0) / widthUm) - logShape((p.z - z0) / widthUm) - target;
  const mid = (p.z + q.z) / 2;
  const reach = (q.z - p.z) / 2 + 3 * widthUm;
  const steps = 60;
  const h = reach / steps;
  // Walk out from the midpoint both ways and take the first sign change.
  for (let i = 0; i < steps; i++) {
    for (const dir of [1, -1]) {
      const lo = mid + dir * i * h;
      const hi = mid + dir * (i + 1) * h;
      const flo = f(lo);
      const fhi = f(hi);
      if (flo === 0) return lo;
      if (flo * fhi < 0) return bisect(f, Math.min(lo, hi), Math.max(lo, hi));
    }
  }
  return null;
}

function bisect(f: (z: number) => number, lo: number, hi: number): number {
  let flo = f(lo);
  for (let i = 0; i < 50; i++) {
    const m = (lo + hi) / 2;
    const fm = f(m);
    if (flo * fm <= 0) hi = m;
    else {
      lo = m;
      flo = fm;
    }
  }
  return (lo + hi) / 2;
}

/** Widths tried across WIDTH_RANGE_DOF. */
const WIDTH_SAMPLES = 9;
/** At least this many of them must explain the pair before it settles anything. */
const MIN_CONSISTENT_WIDTHS = 3;

/**
 * The pair's focus over the plausible widths for this depth of field; null when no width explains the pair. A width
 * that cannot produce the pair's sharpness ratio at all (a wide curve cannot fall tenfold in 2 um) is ruled out by
 * the pair itself, so the spread is taken over the widths that remain.
 */
export function pairFocus(
  a: FocusCurvePoint,
  b: FocusCurvePoint,
  dofUm: number,
  agreementUm = PAIR_AGREEMENT_UM,
): PairFocus | null {
  const [lo, hi] = WIDTH_RANGE_DOF;
  const roots: number[] = [];
  for (let i = 0; i < WIDTH_SAMPLES; i++) {
    const w = (lo + ((hi - lo) * i) / (WIDTH_SAMPLES - 1)) * dofUm;
    const z = focusFromPair(a, b, w);
    if (z !== null) roots.push(z);
  }
  if (!roots.length) return null;
  const zMin = Math.min(...roots);
  const zMax = Math.max(...roots);
  const zFocusUm = (zMin + zMax) / 2;
  const spreadUm = zMax - zMin;
  const inReach = zFocusUm >= Math.min(a.z, b.z) - PAIR_REACH_UM && zFocusUm <= Math.max(a.z, b.z) + PAIR_REACH_UM;
  return {
    zFocusUm,
    spreadUm,
    zMinUm: zMin,
    zMaxUm: zMax,
    widths: roots.length,
    settled: roots.length >= MIN_CONSISTENT_WIDTHS && spreadUm <= agreementUm && inReach,
  };
}

/**
 * How far the network's |d| may be from the truth where it reads it well, as a factor (the reading over the true |d|).
 * The shipped models read 1.0-1.15x at 1-1.5 um on the held-out slides (bench:autofocus --trace) and 0.8-1.4x
 * further out; a reading outside this range leaves the pair to a third plane, as before.
 */
export const READING_SCALE_RANGE: readonly [number, number] = [0.8, 1.25];

/** Slack on the pair's answers for a reading taken at its word (um): nine widths sample them. */
const ANSWER_MARGIN_UM = 0.05;

/** A plane of the pair with the network's reading there (um, signed when the model names a side). */
export interface ReadPlane extends FocusCurvePoint {
  readingUm: number | null;
}

/**
 * The focus of a pair whose widths disagree, narrowed by the network's readings. That happens when one plane sits
 * near the focus: the ratio of a plane on the peak to one on the flank depends on the curve's width, which only
 * the sample knows. The network cannot read |d| near focus (its floor, READING_FLOOR_UM) but reads it well 1-3 um
 * out, where the other plane is, and that distance is what the width leaves open. Each plane read above the floor,
 * on the side of the other plane (when the model names sides: `sided`), and taken at its word one of the pair's
 * answers, puts the focus within READING_SCALE_RANGE of its reading from it; where that band and the pair's answers
 * overlap by no more than the agreement (PAIR_AGREEMENT_UM by default), their middle is the focus. Null when no
 * plane is read well enough, a reading disagrees with the pair, or the overlap is too wide. On the curve with a 1 %
 * noise floor
 * (`bench:autofocus -- --pair`), first plane within 0.5 um of focus: settled 78 -> 97 % of trials for a model that
 * reads 1x, 0.7 % of them more than 0.25 um off; a model that reads 1.5x settles 12 % more than 0.25 um off (the
 * check on its word refuses the rest).
 */
export function pairFocusWithReadings(
  pair: PairFocus,
  a: ReadPlane,
  b: ReadPlane,
  floorUm: number,
  sided: boolean,
  agreementUm = PAIR_AGREEMENT_UM,
): number | null {
  if (pair.widths < MIN_CONSISTENT_WIDTHS) return null;
  let lo = pair.zMinUm;
  let hi = pair.zMaxUm;
  let used = 0;
  const [kLo, kHi] = READING_SCALE_RANGE;
  for (const [p, other] of [
    [a, b],
    [b, a],
  ] as const) {
    if (p.readingUm === null || !Number.isFinite(p.readingUm) || Math.abs(p.readingUm) < floorUm) continue;
    const toward = Math.sign(other.z - p.z);
    // The model's side (focus at z - reading) must point at the other plane, as it does when they straddle.
    if (sided && Math.sign(-p.readingUm) !== toward) return null;
    // Taken at its word, the reading must be one of the pair's answers.
    const atItsWord = p.z + toward * Math.abs(p.readingUm);
    if (atItsWord < pair.zMinUm - ANSWER_MARGIN_UM || atItsWord > pair.zMaxUm + ANSWER_MARGIN_UM) return null;
    const near = p.z + (toward * Math.abs(p.readingUm)) / kHi;
    const far = p.z + (toward * Math.abs(p.readingUm)) / kLo;
    lo = Math.max(lo, Math.min(near, far));
    hi = Math.min(hi, Math.max(near, far));
    used++;
  }
  if (!used || hi < lo || hi - lo > agreementUm) return null;
  const z = (lo + hi) / 2;
  const inReach = z >= Math.min(a.z, b.z) - PAIR_REACH_UM && z <= Math.max(a.z, b.z) + PAIR_REACH_UM;
  return inReach ? z : null;
}
