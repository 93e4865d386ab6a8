export {
  evaluate,
  evaluateWithSamples,
  evaluateModel,
  collectPredictions,
  EvaluationError,
  type EvaluateOptions,
  type EvaluationOutput,
  type EvaluationProgress,
  type EvaluationResult,
  type ModelEvaluation,
  type ModelSamples,
} from './evaluate';
export { depthOfFieldUm, DOF_WAVELENGTH_UM } from './dof';
export {
  focusMetrics,
  defocusRangeOf,
  DEFOCUS_RANGES,
  SIGN_MIN_DEFOCUS_UM,
  type FocusMetrics,
  type DefocusRangeKey,
} from './metrics';
export { readExport, loadFrame, parseCsv, MANIFEST_COLUMNS, type ExportData, type ManifestRow } from './export-reader';
export { writeReport, markdownReport, type ReportFiles } from './report';
export { scatterSvg, histogramSvg, writePng } from './plots';
