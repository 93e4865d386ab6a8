/** Virtual microscope optics: public API. */
export { ImageFormation, type IntensityImage } from './render';
export { FrameEngine } from './engine';
export { renderAbbe, sourceLattice } from './abbe';
export {
  renderIntensity,
  renderFrame,
  renderChannels,
  frameJobs,
  mergeJobs,
  type FrameRequest,
  type FrameJob,
  type Tilt,
} from './frame';
export {
  digitise,
  resolveCameraModel,
  CAMERA_DEFAULTS,
  type ResolvedCameraModel,
  type DigitisedImage,
} from './camera-model';
export { Slide, MAX_SLIDE_PIXELS, mirrorIndex, type SlideInfo, type SlideLoadOptions } from './slide';
export { resolveSample, type ResolvedSample } from './sample';
export { planGeometry, type Geometry } from './geometry';
export { radialTransfer, computeWotfProfile, pupilAt, type ChannelOptics, type RadialTransfer } from './pupil';
export {
  simulateStack,
  writeFramePng,
  rangeValues,
  type SimulateStackOptions,
  type StackResult,
  type StackRange,
} from './stack';
export { parseRange, MAX_PLANES } from './range';
export {
  drawRenderingVariant,
  renderVariant,
  stainJitterMatrix,
  colourTemperatureBalance,
  DEFAULT_RANGES,
  type RenderingVariant,
  type RandomizationRanges,
} from './randomize';
export { OpticsError, type OpticsErrorCode } from './errors';
export { Rng, mixSeed } from './rng';
export { loadFftModule, Fft2D, nextFftSize, isFftSize } from './fft';
export { DEFAULT_SLIDE_PATH, DEFAULT_SLIDE_FILE } from './default-slide';
export { normalisedVariance } from './metrics';
