/**
 * Automatic focus label of a stack: fit the chosen metric's curve, then QC.
 * QC flags and thresholds (defaults chosen on the fake and virtual microscopes; see test/unit/focus):
 *   fail: too-few-planes (< minPlanes), peak-at-edge (sharpest plane first or last), low-contrast (peak/min < minContrast)
 *   warn: multiple-peaks (> 1 local maximum with prominence >= prominence x range), poor-fit (residual > maxResidual),
 *         fit-off-peak (refined z_focus more than one step from the sharpest plane)
 */
import type { FocusCurvePoint, FocusFit, FocusLabel, QcFlag, QcVerdict, SharpnessMetric } from '../../shared/dataset';
import { fitFocusCurve, normaliseCurve, type FitResult } from './fit';

export interface QcOptions {
  minPlanes: number;
  minContrast: number;
  prominence: number;
  maxResidual: number;
}

export const DEFAULT_QC: QcOptions = { minPlanes: 5, minContrast: 1.15, prominence: 0.25, maxResidual: 0.12 };

/** Default labelling: chosen by the metric comparison (test/unit/focus/metricChoice.test.ts). */
export const DEFAULT_METRIC: SharpnessMetric = 'tenengrad';
export const DEFAULT_FIT: FocusFit = 'gaussian';

const FAIL_FLAGS: QcFlag[] = ['too-few-planes', 'peak-at-edge', 'low-contrast'];

/** Local maxima whose prominence (height above the higher of the two surrounding minima) is significant. */
export function countPeaks(c: FocusCurvePoint[], prominence: number): number {
  if (c.length < 3) return c.length > 0 ? 1 : 0;
  let min = Infinity,
    max = -Infinity;
  for (const p of c) {
    min = Math.min(min, p.sharpness);
    max = Math.max(max, p.sharpness);
  }
  const need = prominence * (max - min);
  let peaks = 0;
  for (let i = 0; i < c.length; i++) {
    const s = c[i].sharpness;
    if ((i > 0 && c[i - 1].sharpness >= s) || (i < c.length - 1 && c[i + 1].sharpness > s)) continue;
    let leftMin = s;
    for (let j = i - 1; j >= 0 && c[j].sharpness <= s; j--) leftMin = Math.min(leftMin, c[j].sharpness);
    let rightMin = s;
    for (let j = i + 1; j < c.length && c[j].sharpness <= s; j++) rightMin = Math.min(rightMin, c[j].sharpness);
    // A maximum at an end of the range only has one side.
    const base = i === 0 ? rightMin : i === c.length - 1 ? leftMin : Math.max(leftMin, rightMin);
    if (s - base >= need) peaks++;
  }
  return Math.max(peaks, 1);
}

export function qcFlags(c: FocusCurvePoint[], fit: FitResult, opts: QcOptions = DEFAULT_QC): QcFlag[] {
  const flags: QcFlag[] = [];
  if (c.length < opts.minPlanes) flags.push('too-few-planes');
  if (c.length === 0) return flags;
  if (fit.peakIndex === 0 || fit.peakIndex === c.length - 1) flags.push('peak-at-edge');
  let min = Infinity;
  for (const p of c) min = Math.min(min, p.sharpness);
  const peak = c[fit.peakIndex]?.sharpness ?? 0;
  if (!(min > 0 && peak / min >= opts.minContrast)) flags.push('low-contrast');
  if (countPeaks(c, opts.prominence) > 1) flags.push('multiple-peaks');
  if (fit.residual !== null && fit.residual > opts.maxResidual) flags.push('poor-fit');
  if (fit.zFocusUm !== null && fit.zPeakUm !== null && c.length > 1) {
    const i = fit.peakIndex;
    const step = Math.max(i > 0 ? c[i].z - c[i - 1].z : 0, i < c.length - 1 ? c[i + 1].z - c[i].z : 0);
    if (Math.abs(fit.zFocusUm - fit.zPeakUm) > step * 1.0001) flags.push('fit-off-peak');
  }
  return flags;
}

export function verdictOf(flags: QcFlag[]): QcVerdict {
  if (flags.some((f) => FAIL_FLAGS.includes(f))) return 'fail';
  return flags.length > 0 ? 'warn' : 'pass';
}

/** Fits and QCs one focus curve. */
export function labelFocusCurve(
  points: FocusCurvePoint[],
  metric: SharpnessMetric = DEFAULT_METRIC,
  fit: FocusFit = DEFAULT_FIT,
  qc: QcOptions = DEFAULT_QC,
): FocusLabel & { fitted: FocusCurvePoint[] } {
  const c = normaliseCurve(points);
  const r = fitFocusCurve(c, fit);
  const flags = qcFlags(c, r, qc);
  let min = Infinity;
  for (const p of c) min = Math.min(min, p.sharpness);
  const peak = r.peakIndex >= 0 ? c[r.peakIndex].sharpness : NaN;
  return {
    metric,
    fit,
    zFocusUm: r.zFocusUm,
    zPeakUm: r.zPeakUm,
    nPoints: r.nPoints,
    fitResidual: r.residual,
    contrast: min > 0 && Number.isFinite(peak) ? peak / min : null,
    nPeaks: countPeaks(c, qc.prominence),
    qc: verdictOf(flags),
    flags,
    fitted: r.fitted,
  };
}
