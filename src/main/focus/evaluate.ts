/**
 * Label-error comparison of metric x fit on stacks with known truth (the fake microscope in unit tests, the
 * virtual microscope later). Pure: takes per-plane sharpness values and the true z_focus.
 */
import {
  FOCUS_FITS,
  SHARPNESS_METRICS,
  type FocusFit,
  type Sharpness,
  type SharpnessMetric,
} from '../../shared/dataset';
import { labelFocusCurve } from './label';

export interface TruthStack {
  planes: { z: number; sharpness: Sharpness }[];
  zFocusTrueUm: number;
}

export interface ComparisonRow {
  metric: SharpnessMetric;
  fit: FocusFit;
  n: number;
  /** Stacks the QC passed (pass or warn). */
  qcOk: number;
  maeUm: number;
  rmseUm: number;
  p95Um: number;
  maxUm: number;
  biasUm: number;
  /** Fraction of stacks with |error| <= tolUm. */
  within: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function compareLabelling(
  stacks: TruthStack[],
  opts: { metrics?: readonly SharpnessMetric[]; fits?: readonly FocusFit[]; tolUm?: number } = {},
): ComparisonRow[] {
  const tol = opts.tolUm ?? 0.25;
  const rows: ComparisonRow[] = [];
  for (const metric of opts.metrics ?? SHARPNESS_METRICS) {
    for (const fit of opts.fits ?? FOCUS_FITS) {
      const errs: number[] = [];
      let qcOk = 0;
      for (const s of stacks) {
        const label = labelFocusCurve(
          s.planes.map((p) => ({ z: p.z, sharpness: p.sharpness[metric] })),
          metric,
          fit,
        );
        if (label.qc !== 'fail') qcOk++;
        errs.push(label.zFocusUm === null ? Infinity : label.zFocusUm - s.zFocusTrueUm);
      }
      const abs = errs.map(Math.abs).sort((a, b) => a - b);
      const finite = errs.filter(Number.isFinite);
      rows.push({
        metric,
        fit,
        n: stacks.length,
        qcOk,
        maeUm: abs.reduce((a, b) => a + b, 0) / abs.length,
        rmseUm: Math.sqrt(errs.reduce((a, b) => a + b * b, 0) / errs.length),
        p95Um: quantile(abs, 0.95),
        maxUm: abs[abs.length - 1],
        biasUm: finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length),
        within: abs.filter((e) => e <= tol).length / abs.length,
      });
    }
  }
  return rows;
}

export function formatComparison(rows: ComparisonRow[]): string {
  const head = 'metric             fit       n  qcOk   MAE    RMSE   p95    max    bias   within';
  const lines = rows.map(
    (r) =>
      `${r.metric.padEnd(18)} ${r.fit.padEnd(9)} ${String(r.n).padStart(2)} ${String(r.qcOk).padStart(4)}  ` +
      [r.maeUm, r.rmseUm, r.p95Um, r.maxUm, r.biasUm].map((v) => v.toFixed(3).padStart(6)).join(' ') +
      `  ${(100 * r.within).toFixed(0).padStart(4)}%`,
  );
  return [head, ...lines].join('\n');
}
