export { createVirtualMicroscope, type VirtualMicroscope, type SimulatorTruth } from './virtual-microscope';
export { SimCamera, type SimCameraOptions } from './sim-camera';
export { SimZStage, play, type SimZStageOptions } from './sim-z-stage';
export { SimXYStage, type SimXYStageOptions } from './sim-xy-stage';
export { FaultInjector, FAULT_NAMES, simSleep, type FaultName, type FaultMode } from './faults';
