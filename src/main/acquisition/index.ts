/** Public API of the acquisition engine. */
export {
  acquire,
  findResumableRuns,
  AcquisitionControl,
  STORE_DEPTH,
  type BeforeStackInfo,
  type AcquireOptions,
  type AcquireResult,
  type AcquisitionDevices,
  type AcquiredStack,
} from './engine';
export {
  liveSharpness,
  liveSharpnessStream,
  quickFocusCurve,
  type QuickFocusOptions,
  type QuickFocusResult,
} from './coarseFocus';
export { planPlanes, planPositions, type PlannedPosition } from './plan';
export { preparePlane, commitPlane, storePlane, type PreparedPlane, type PlaneToStore } from './storePlane';
export { StorePipeline } from './pipeline';
export { planeSharpness } from './sharpness-pool';
export {
  generateSimDataset,
  simPreflight,
  SIM_GENERATOR,
  type SimGenerationOptions,
  type SimGenerationResult,
  type SimProgress,
  type SimRenderParams,
} from './simDataset';
export { resolveSimSlides, sampleKindOf, type SimSlide, type SlideSelection } from './simSlides';
export { bestFocusShiftUm, PARTIAL_COHERENCE_FACTOR } from './bestFocus';
