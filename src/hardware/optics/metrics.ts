/** Normalised variance (variance / mean^2) of one plane: the classic brightfield sharpness metric. */
export function normalisedVariance(p: ArrayLike<number>, step = 1, offset = 0): number {
  let s = 0;
  let n = 0;
  for (let i = offset; i < p.length; i += step) {
    s += p[i];
    n++;
  }
  const m = s / n;
  let v = 0;
  for (let i = offset; i < p.length; i += step) v += (p[i] - m) * (p[i] - m);
  return v / n / (m * m);
}
