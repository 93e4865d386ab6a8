/** Image measures used by calibration: grey conversion, normalised variance, frame differences. */
import type { Frame } from '../types';

/** Grey values as float64 (RGB averaged), one per pixel. */
export function toGrey(frame: Frame): Float64Array {
  const n = frame.width * frame.height;
  const out = new Float64Array(n);
  if (frame.channels === 1) {
    for (let i = 0; i < n; i++) out[i] = frame.data[i];
  } else {
    for (let i = 0; i < n; i++) out[i] = (frame.data[3 * i] + frame.data[3 * i + 1] + frame.data[3 * i + 2]) / 3;
  }
  return out;
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length > 0 ? s / values.length : 0;
}

/** Normalised variance (variance / mean): a standard, exposure-robust focus measure. */
export function normalizedVariance(frame: Frame): number {
  const g = toGrey(frame);
  const m = mean(g);
  if (m <= 0) return 0;
  let v = 0;
  for (let i = 0; i < g.length; i++) v += (g[i] - m) ** 2;
  return v / g.length / m;
}

/** Mean absolute difference between two frames, relative to the mean level (0 = identical). */
export function relativeDifference(a: Frame, b: Frame): number {
  const ga = toGrey(a);
  const gb = toGrey(b);
  const n = Math.min(ga.length, gb.length);
  let d = 0;
  for (let i = 0; i < n; i++) d += Math.abs(ga[i] - gb[i]);
  const m = (mean(ga) + mean(gb)) / 2;
  return m > 0 ? d / n / m : 0;
}

/** Sample skewness: the sign says whether bright or dark extremes dominate. */
export function skewness(values: ArrayLike<number>): number {
  const m = mean(values);
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i] - m;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= values.length;
  m3 /= values.length;
  return m2 > 0 ? m3 / m2 ** 1.5 : 0;
}

export function std(values: ArrayLike<number>): number {
  const m = mean(values);
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - m) ** 2;
  return values.length > 0 ? Math.sqrt(v / values.length) : 0;
}
