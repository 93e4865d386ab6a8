export { InferenceEngine, type EngineOptions, type ModelInfo, type PredictOptions } from './engine';
export { InferenceError, type InferenceErrorCode } from './errors';
export { ModelRegistry, defaultModelDirs, looksLikePath, type ModelEntry, type ListOptions } from './registry';
export {
  checkFileAgainstCard,
  checkSessionAgainstCard,
  onnxPathOf,
  readModelCard,
  sha256OfFile,
  type SessionInfo,
  type ValueInfo,
} from './card-validation';
export {
  PIXEL_SIZE_TOLERANCE,
  frameRaster,
  frameToPatches,
  packPatches,
  patchPositions,
  prepareFrame,
  preprocessSpecOf,
  tileGrid,
  type PatchBatch,
  type PatchPosition,
  type PreparedFrame,
  type PreprocessSpec,
  type TileGrid,
} from './preprocess';
export { resampleRaster, type Raster } from './resample';
export {
  FRAME_HEIGHT,
  FRAME_WIDTH,
  syntheticFrame,
  timeFrame,
  timePatches,
  type FrameTiming,
  type PatchTiming,
} from './timing';
