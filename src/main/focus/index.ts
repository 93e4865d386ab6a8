/** Sharpness metrics, focus-curve fits and QC: pure, reused by the classic autofocus. */
export { luminance, type PixelBuffer, type Luminance } from './luminance';
export {
  sharpness,
  sharpnessOf,
  normVariance,
  brenner,
  tenengrad,
  laplacianVariance,
  METRIC_FUNCTIONS,
} from './metrics';
export { fitFocusCurve, lowess, type FitResult } from './fit';
export {
  labelFocusCurve,
  qcFlags,
  verdictOf,
  countPeaks,
  DEFAULT_METRIC,
  DEFAULT_FIT,
  DEFAULT_QC,
  type QcOptions,
} from './label';
export { compareLabelling, formatComparison, type TruthStack, type ComparisonRow } from './evaluate';
