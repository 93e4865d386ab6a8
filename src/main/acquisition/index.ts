/** Public API of the acquisition engine. */
export {
  acquire,
  findResumableRuns,
  AcquisitionControl,
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
