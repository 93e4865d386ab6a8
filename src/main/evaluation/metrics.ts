/**
 * Focusing-error metrics of a set of predictions (um). Error = |predicted - true| (the paper's focusing error).
 */
import { rank } from 'd3-array';

export const DEFOCUS_RANGES = [
  { key: '-10..-5', min: -10, max: -5 },
  { key: '-5..5', min: -5, max: 5 },
  { key: '5..10', min: 5, max: 10 },
] as const;

export type DefocusRangeKey = (typeof DEFOCUS_RANGES)[number]['key'];

/** |d| from which the sign of the prediction is judged. */
export const SIGN_MIN_DEFOCUS_UM = 1;

export interface FocusMetrics {
  n: number;
  rmse_um: number;
  /** Mean and (population) standard deviation of |predicted - true|. */
  error_mean_um: number;
  error_std_um: number;
  error_median_um: number;
  error_p95_um: number;
  error_max_um: number;
  /** Mean of predicted - true. */
  bias_um: number;
  /** Mean error over true defocus in each range; null where the range holds no patch. */
  error_by_range: Record<DefocusRangeKey, number | null>;
  n_by_range: Record<DefocusRangeKey, number>;
  /** Fraction of patches with |true| >= 1 um whose prediction has the wrong sign (0 counts as wrong); null if none. */
  sign_error_rate: number | null;
  n_sign: number;
  /** Fraction with |error| <= dof/2; null when no depth of field was given. */
  within_dof: number | null;
  dof_um: number | null;
}

/**
 * Which range a true defocus falls in: [-10, -5), [-5, +5], (+5, +10]. Values beyond +-10 um are in none.
 */
export function defocusRangeOf(trueUm: number): DefocusRangeKey | undefined {
  if (trueUm < -10 || trueUm > 10) return undefined;
  if (trueUm < -5) return '-10..-5';
  if (trueUm <= 5) return '-5..5';
  return '5..10';
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * `magnitude`: the model reads |d| (card output.target "magnitude"): its focusing error is against |d|, while the
 * ranges and the sign-error rate stay on the signed truth, so the table shows plainly that it cannot tell the side.
 */
export function focusMetrics(
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
  dofUm?: number,
  magnitude = false,
): FocusMetrics {
  const n = truth.length;
  if (predicted.length !== n) throw new RangeError(`${predicted.length} predictions for ${n} labels`);
  if (n === 0) throw new RangeError('no predictions to evaluate');
  const errors = new Float64Array(n);
  let sq = 0;
  let signed = 0;
  let nSign = 0;
  let signErrors = 0;
  let withinDof = 0;
  const sums = { '-10..-5': 0, '-5..5': 0, '5..10': 0 } as Record<DefocusRangeKey, number>;
  const counts = { '-10..-5': 0, '-5..5': 0, '5..10': 0 } as Record<DefocusRangeKey, number>;
  for (let i = 0; i < n; i++) {
    const p = predicted[i];
    const t = truth[i];
    const target = magnitude ? Math.abs(t) : t;
    const e = Math.abs(p - target);
    errors[i] = e;
    sq += (p - target) ** 2;
    signed += p - target;
    const range = defocusRangeOf(t);
    if (range) {
      sums[range] += e;
      counts[range]++;
    }
    if (Math.abs(t) >= SIGN_MIN_DEFOCUS_UM) {
      nSign++;
      if (Math.sign(p) !== Math.sign(t)) signErrors++;
    }
    if (dofUm !== undefined && e <= dofUm / 2) withinDof++;
  }
  const mean = errors.reduce((a, b) => a + b, 0) / n;
  const variance = errors.reduce((a, e) => a + (e - mean) ** 2, 0) / n;
  const sorted = errors.slice().sort();
  const byRange = {} as Record<DefocusRangeKey, number | null>;
  for (const { key } of DEFOCUS_RANGES) byRange[key] = counts[key] ? sums[key] / counts[key] : null;
  return {
    n,
    rmse_um: Math.sqrt(sq / n),
    error_mean_um: mean,
    error_std_um: Math.sqrt(variance),
    error_median_um: quantile(sorted, 0.5),
    error_p95_um: quantile(sorted, 0.95),
    error_max_um: sorted[n - 1],
    bias_um: signed / n,
    error_by_range: byRange,
    n_by_range: counts,
    sign_error_rate: nSign ? signErrors / nSign : null,
    n_sign: nSign,
    within_dof: dofUm !== undefined ? withinDof / n : null,
    dof_um: dofUm ?? null,
  };
}

/** Stacks with fewer planes than this say little about ordering and are left out. */
export const ORDERING_MIN_PLANES = 5;

export interface StackOrdering {
  /** Stacks with at least ORDERING_MIN_PLANES patches (one patch per plane and position counts once per patch). */
  n_stacks: number;
  /** Median and worst per-stack Spearman correlation of predicted against true defocus; null without stacks. */
  spearman_median: number | null;
  spearman_min: number | null;
  /** The same within -5..+5 um, where the autofocus lands. */
  spearman_central_median: number | null;
  spearman_central_min: number | null;
}

/**
 * How well a model orders the planes of each stack: Spearman's rank correlation of predicted against true defocus
 * per stack, then the median and the worst over stacks. A stack read on the wrong side throughout scores near -1
 * even where its mean error looks moderate; a judge of real stacks weighs exactly that.
 */
export function stackOrdering(
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
  stack: ArrayLike<string>,
): StackOrdering {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < truth.length; i++) {
    const list = groups.get(stack[i]) ?? [];
    list.push(i);
    groups.set(stack[i], list);
  }
  const all: number[] = [];
  const central: number[] = [];
  for (const indices of groups.values()) {
    const rho = spearman(indices, predicted, truth);
    if (rho !== null) all.push(rho);
    const near = spearman(
      indices.filter((i) => Math.abs(truth[i]) <= 5),
      predicted,
      truth,
    );
    if (near !== null) central.push(near);
  }
  const median = (v: number[]) => (v.length ? quantile(Float64Array.from(v).sort(), 0.5) : null);
  const min = (v: number[]) => (v.length ? Math.min(...v) : null);
  return {
    n_stacks: all.length,
    spearman_median: median(all),
    spearman_min: min(all),
    spearman_central_median: median(central),
    spearman_central_min: min(central),
  };
}

/** Spearman's rho over the patches at `indices` (d3's ranks, Pearson on them); null under ORDERING_MIN_PLANES. */
function spearman(indices: number[], predicted: ArrayLike<number>, truth: ArrayLike<number>): number | null {
  if (indices.length < ORDERING_MIN_PLANES) return null;
  const a = rank(indices.map((i) => predicted[i]));
  const b = rank(indices.map((i) => truth[i]));
  const n = indices.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let k = 0; k < n; k++) {
    sab += (a[k] - ma) * (b[k] - mb);
    saa += (a[k] - ma) ** 2;
    sbb += (b[k] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null;
}
