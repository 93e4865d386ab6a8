/**
 * Labelling a stored stack: its focus curve from the per-image sharpness, the fit, QC, and the labels
 * d = z - z_focus written to every image (one transaction). Also the focus curve for the dataset browser.
 */
import type Database from 'better-sqlite3';
import type { FocusCurve, FocusFit, FocusLabel, SharpnessMetric, ZFocusSource } from '../../shared/dataset';
import { DEFAULT_FIT, DEFAULT_METRIC, labelFocusCurve, type QcOptions } from '../focus/label';
import { listImageRows, sharpnessOf } from './repo/images';
import { requireStackRow, stackFocusLabel, storeAutoLabel } from './repo/stacks';

export interface LabelOptions {
  metric?: SharpnessMetric;
  fit?: FocusFit;
  qc?: QcOptions;
  /** Known z_focus (imports whose file names give the defocus): stored as 'given', the fit is kept as a check. */
  givenZFocusUm?: number;
  source?: Exclude<ZFocusSource, 'operator'>;
}

function curvePoints(db: Database.Database, stackId: number, metric: SharpnessMetric) {
  return listImageRows(db, stackId)
    .map((r) => ({ z: r.z_um, s: sharpnessOf(r) }))
    .filter((p) => p.s !== null)
    .map((p) => ({ z: p.z, sharpness: p.s![metric] }));
}

/** Labels one stack from its stored sharpness values; returns how z_focus was found. */
export function labelStack(db: Database.Database, stackId: number, opts: LabelOptions = {}): FocusLabel {
  requireStackRow(db, stackId);
  const metric = opts.metric ?? DEFAULT_METRIC;
  const fit = opts.fit ?? DEFAULT_FIT;
  const { fitted: _fitted, ...fitted } = labelFocusCurve(curvePoints(db, stackId, metric), metric, fit, opts.qc);
  void _fitted;
  const source = opts.source ?? (opts.givenZFocusUm !== undefined ? 'given' : 'fit');
  // With a given z_focus the fit is only a cross-check: its QC may warn, never exclude the stack by itself.
  const label: FocusLabel = source === 'given' && fitted.qc === 'fail' ? { ...fitted, qc: 'warn' } : fitted;
  storeAutoLabel(db, stackId, label, source, opts.givenZFocusUm);
  return label;
}

/** The focus curve of a stack (stored metric, or another one for comparison) with its fitted peak. */
export function focusCurveOf(db: Database.Database, stackId: number, metric?: SharpnessMetric): FocusCurve {
  const row = requireStackRow(db, stackId);
  const stored = stackFocusLabel(row);
  const m = metric ?? stored?.metric ?? DEFAULT_METRIC;
  const points = curvePoints(db, stackId, m);
  const fresh = labelFocusCurve(points, m, stored?.fit ?? DEFAULT_FIT);
  return {
    stackId,
    metric: m,
    points,
    fitted: fresh.fitted,
    label: stored && stored.metric === m ? stored : (({ fitted: _f, ...l }) => (void _f, l))(fresh),
  };
}
