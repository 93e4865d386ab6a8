/** Public API of autofocus (wired to the contract in src/main/api/handlers/autofocus.ts). */
export {
  AutofocusService,
  toResult,
  type AutofocusHardware,
  type AutofocusServiceOptions,
  type RunControl,
} from './service';
export {
  estimateFrame,
  OnnxPredictor,
  type DefocusPredictor,
  type EstimateOptions,
  type PredictRequest,
} from './estimate';
export {
  runAutofocus,
  verifyDisagreement,
  type RunOptions,
  type RunTrace,
  type RunProgress,
  type FrameEstimator,
} from './loop';
export {
  classicAutofocus,
  passPlanes,
  SWEEP_PASS,
  COARSE_PASS,
  FINE_PASS,
  type ClassicPass,
  type ClassicResult,
} from './classic';
export { planMove, moveBacklashAware, clampToLimits, APPROACH_OVERSHOOT_UM } from './move';
export { checkModelForSetup, mismatchMessage, MAX_PIXEL_RATIO, MAX_NA_DIFFERENCE, type SetupOptics } from './compat';
export {
  measureContent,
  contentVerdict,
  contentScore,
  DEFAULT_CONTENT_THRESHOLDS,
  type ContentThresholds,
  type PatchContent,
  type ContentVerdict,
} from './content';
export { median, robustSpread, trimmedMean, confidenceOf, regionMap, regionOf, selectPatches } from './combine';
export { loadSettings, saveSettings, mergeSettings, settingsPath, SETTINGS_FILE } from './settings';
export { storeRun, isHardExample, historyRows, HARD_EXAMPLE_UM } from './record';
export { AutofocusError, type AutofocusErrorCode } from './errors';
