/**
 * Focus-curve fits: z_focus = the peak of sharpness(z), refined between planes.
 *
 * - argmax:   the sharpest plane (resolution = the step).
 * - parabola: least-squares parabola on the sharpness over the peak region.
 * - gaussian: least-squares parabola on ln(sharpness - floor) over the peak region (a Gaussian peak on a floor).
 * - lowess:   locally weighted quadratic regression (tricube kernel, bisquare robustness iterations) evaluated on a
 *             fine grid; its maximum.
 * The peak region = the contiguous points around the maximum whose height above the curve minimum is at least half
 * of the peak's (at least 3 points, at most 11), so the window adapts to the step and the depth of field.
 */
import type { FocusCurvePoint, FocusFit } from '../../shared/dataset';

export interface FitResult {
  zFocusUm: number | null;
  zPeakUm: number | null;
  peakIndex: number;
  nPoints: number;
  /** RMS (fit - data) over the fitted points / (max - min) of the curve; null when not applicable. */
  residual: number | null;
  /** Fitted curve for display (z, sharpness) on a fine grid over the fitted window. */
  fitted: FocusCurvePoint[];
}

/** Sorts by z and averages repeated z values. */
export function normaliseCurve(points: FocusCurvePoint[]): FocusCurvePoint[] {
  const finite = points.filter((p) => Number.isFinite(p.z) && Number.isFinite(p.sharpness));
  const sorted = [...finite].sort((a, b) => a.z - b.z);
  const out: FocusCurvePoint[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && Math.abs(last.z - p.z) < 1e-9) {
      const n = (last as FocusCurvePoint & { n?: number }).n ?? 1;
      last.sharpness = (last.sharpness * n + p.sharpness) / (n + 1);
      (last as FocusCurvePoint & { n?: number }).n = n + 1;
    } else out.push({ z: p.z, sharpness: p.sharpness });
  }
  return out.map((p) => ({ z: p.z, sharpness: p.sharpness }));
}

export function argmaxIndex(c: FocusCurvePoint[]): number {
  let best = 0;
  for (let i = 1; i < c.length; i++) if (c[i].sharpness > c[best].sharpness) best = i;
  return best;
}

/** Indices [lo, hi] of the half-height region around the peak. */
export function peakWindow(c: FocusCurvePoint[], peak: number, minPoints = 3, maxPoints = 11): [number, number] {
  let min = Infinity;
  for (const p of c) min = Math.min(min, p.sharpness);
  const half = min + 0.5 * (c[peak].sharpness - min);
  let lo = peak;
  let hi = peak;
  // Grow towards the higher neighbour each time, so the window stays balanced around the peak.
  while (hi - lo + 1 < maxPoints) {
    const left = lo > 0 && c[lo - 1].sharpness >= half ? c[lo - 1].sharpness : -Infinity;
    const right = hi < c.length - 1 && c[hi + 1].sharpness >= half ? c[hi + 1].sharpness : -Infinity;
    if (left === -Infinity && right === -Infinity) break;
    if (left >= right) lo--;
    else hi++;
  }
  while (hi - lo + 1 < Math.min(minPoints, c.length)) {
    if (lo > 0 && (hi === c.length - 1 || c[lo - 1].sharpness >= c[hi + 1].sharpness)) lo--;
    else hi++;
  }
  return [lo, hi];
}

/** Weighted least-squares quadratic y = a + b t + c t^2 with t = z - z0. Returns null when singular. */
export function quadFit(zs: number[], ys: number[], ws: number[] | null, z0: number): [number, number, number] | null {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0,
    s4 = 0,
    t0 = 0,
    t1 = 0,
    t2 = 0;
  for (let i = 0; i < zs.length; i++) {
    const w = ws ? ws[i] : 1;
    if (!(w > 0)) continue;
    const t = zs[i] - z0;
    const t2v = t * t;
    s0 += w;
    s1 += w * t;
    s2 += w * t2v;
    s3 += w * t2v * t;
    s4 += w * t2v * t2v;
    t0 += w * ys[i];
    t1 += w * ys[i] * t;
    t2 += w * ys[i] * t2v;
  }
  // Solve [[s0 s1 s2],[s1 s2 s3],[s2 s3 s4]] [a b c] = [t0 t1 t2] by Cramer's rule.
  const det = s0 * (s2 * s4 - s3 * s3) - s1 * (s1 * s4 - s3 * s2) + s2 * (s1 * s3 - s2 * s2);
  if (!Number.isFinite(det) || Math.abs(det) < 1e-18 * Math.max(1, s4 * s4)) return null;
  const a = (t0 * (s2 * s4 - s3 * s3) - s1 * (t1 * s4 - s3 * t2) + s2 * (t1 * s3 - s2 * t2)) / det;
  const b = (s0 * (t1 * s4 - t2 * s3) - t0 * (s1 * s4 - s3 * s2) + s2 * (s1 * t2 - t1 * s2)) / det;
  const c = (s0 * (s2 * t2 - s3 * t1) - s1 * (s1 * t2 - s2 * t1) + t0 * (s1 * s3 - s2 * s2)) / det;
  return [a, b, c];
}

function rmsRelative(c: FocusCurvePoint[], lo: number, hi: number, model: (z: number) => number): number {
  let min = Infinity,
    max = -Infinity,
    ss = 0;
  for (const p of c) {
    min = Math.min(min, p.sharpness);
    max = Math.max(max, p.sharpness);
  }
  for (let i = lo; i <= hi; i++) ss += (model(c[i].z) - c[i].sharpness) ** 2;
  const range = max - min;
  return range > 0 ? Math.sqrt(ss / (hi - lo + 1)) / range : 0;
}

function grid(z0: number, z1: number, n = 60): number[] {
  const out: number[] = [];
  for (let i = 0; i <= n; i++) out.push(z0 + ((z1 - z0) * i) / n);
  return out;
}

function vertexIn(coef: [number, number, number] | null, z0: number, lo: number, hi: number): number | null {
  if (!coef) return null;
  const [, b, c] = coef;
  if (!(c < 0)) return null; // not a maximum
  const v = z0 - b / (2 * c);
  return v >= lo && v <= hi ? v : null;
}

function fitQuadratic(c: FocusCurvePoint[], peak: number, log: boolean): FitResult {
  // A parabola only describes the very top of a peak; a Gaussian (parabola in log) holds down to half height.
  const [lo, hi] = peakWindow(c, peak, 3, log ? 11 : 5);
  const z0 = c[peak].z;
  let min = Infinity;
  for (const p of c) min = Math.min(min, p.sharpness);
  // Floor just under the minimum keeps ln() finite while removing most of the noise floor.
  const floor = log ? min - 0.02 * (c[peak].sharpness - min) : 0;
  const zs: number[] = [];
  const ys: number[] = [];
  for (let i = lo; i <= hi; i++) {
    zs.push(c[i].z);
    ys.push(log ? Math.log(Math.max(c[i].sharpness - floor, 1e-300)) : c[i].sharpness);
  }
  const coef = quadFit(zs, ys, null, z0);
  const v = vertexIn(coef, z0, c[lo].z, c[hi].z);
  const model = (z: number) => {
    if (!coef) return NaN;
    const t = z - z0;
    const y = coef[0] + coef[1] * t + coef[2] * t * t;
    return log ? Math.exp(y) + floor : y;
  };
  return {
    zFocusUm: v ?? c[peak].z,
    zPeakUm: c[peak].z,
    peakIndex: peak,
    nPoints: hi - lo + 1,
    residual: coef ? rmsRelative(c, lo, hi, model) : null,
    fitted: coef ? grid(c[lo].z, c[hi].z).map((z) => ({ z, sharpness: model(z) })) : [],
  };
}

/** LOWESS smoother (local quadratic, tricube weights over the nearest `span` fraction, bisquare robustness). */
export function lowess(c: FocusCurvePoint[], at: number[], span = 0.3, iterations = 2): number[] {
  const n = c.length;
  const k = Math.min(n, Math.max(5, Math.ceil(span * n)));
  const robust = new Array<number>(n).fill(1);
  const smoothAt = (z: number): number => {
    const dists = c.map((p) => Math.abs(p.z - z)).sort((a, b) => a - b);
    const h = Math.max(dists[k - 1], 1e-9) * 1.0001;
    const ws = c.map((p, i) => {
      const u = Math.abs(p.z - z) / h;
      return u < 1 ? (1 - u ** 3) ** 3 * robust[i] : 0;
    });
    const coef = quadFit(
      c.map((p) => p.z),
      c.map((p) => p.sharpness),
      ws,
      z,
    );
    return coef ? coef[0] : NaN;
  };
  for (let it = 0; it < iterations; it++) {
    const res = c.map((p) => p.sharpness - smoothAt(p.z));
    const med = [...res.map(Math.abs)].sort((a, b) => a - b)[Math.floor(n / 2)];
    // Floor on the scale: flat tails fit perfectly, and a scale from them alone would reject the peak itself.
    let lo = Infinity,
      hi = -Infinity;
    for (const p of c) {
      lo = Math.min(lo, p.sharpness);
      hi = Math.max(hi, p.sharpness);
    }
    const s = Math.max(6 * med, 0.1 * (hi - lo), 1e-12);
    for (let i = 0; i < n; i++) {
      const u = res[i] / s;
      robust[i] = Math.abs(u) < 1 ? (1 - u * u) ** 2 : 0;
    }
  }
  return at.map(smoothAt);
}

function fitLowess(c: FocusCurvePoint[], peak: number): FitResult {
  const [lo, hi] = peakWindow(c, peak);
  const zLo = c[Math.max(0, lo - 1)].z;
  const zHi = c[Math.min(c.length - 1, hi + 1)].z;
  // Span: the half-height region (at least 5 points). Wider spans flatten the top of the peak into two humps.
  const span = Math.min(1, Math.max(5 / c.length, (hi - lo + 1) / c.length));
  const zs = grid(zLo, zHi, 200);
  const ys = lowess(c, zs, span);
  let best = 0;
  for (let i = 1; i < ys.length; i++) if (ys[i] > ys[best]) best = i;
  const model = (z: number) => lowess(c, [z], span)[0];
  return {
    zFocusUm: Number.isFinite(ys[best]) ? zs[best] : c[peak].z,
    zPeakUm: c[peak].z,
    peakIndex: peak,
    nPoints: hi - lo + 1,
    residual: rmsRelative(c, lo, hi, model),
    fitted: zs.filter((_, i) => i % 4 === 0).map((z, i) => ({ z, sharpness: ys[i * 4] })),
  };
}

/** Fits the focus curve; needs at least 3 points (fewer: zFocus null). */
export function fitFocusCurve(points: FocusCurvePoint[], fit: FocusFit): FitResult {
  const c = normaliseCurve(points);
  if (c.length === 0) return { zFocusUm: null, zPeakUm: null, peakIndex: -1, nPoints: 0, residual: null, fitted: [] };
  const peak = argmaxIndex(c);
  if (fit === 'argmax' || c.length < 3) {
    return { zFocusUm: c[peak].z, zPeakUm: c[peak].z, peakIndex: peak, nPoints: 1, residual: null, fitted: [] };
  }
  if (fit === 'parabola') return fitQuadratic(c, peak, false);
  if (fit === 'gaussian') return fitQuadratic(c, peak, true);
  return fitLowess(c, peak);
}
