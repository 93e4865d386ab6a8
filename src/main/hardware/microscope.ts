/** The devices the app drives at one time, behind the interfaces of src/hardware/types.ts. */
import type { Camera, XYStage, ZStage } from '../../hardware/types';
import type { OpticalSetup } from '../../shared/optics';
import type { VirtualMicroscope } from '../../hardware/sim';

export interface Microscope {
  /** The hardware profile this set of devices came from ("Virtual microscope (20x)", "Bench GRBL + UVC"...). */
  profileName: string;
  /** The optical setup in use (preset id such as "20x"). */
  setupId: string;
  /** Its optics, where known (magnification, NA, camera, pixel size). */
  setup?: OpticalSetup;
  camera: Camera;
  zStage: ZStage;
  xyStage: XYStage;
  /** The simulator behind the devices, when they are simulated (its truth() is the ground truth of tests). */
  sim?: VirtualMicroscope;
  /** Serial ports these devices hold open (auto-detect leaves them alone; a reconnect closes them first). */
  ports?: string[];
  /** Releases every device (ports, child processes, workers). */
  close(): Promise<void>;
}
