/** The devices the app drives at one time, behind the interfaces of src/hardware/types.ts. */
import type { Camera, XYStage, ZStage } from '../../hardware/types';

export interface Microscope {
  /** The hardware profile this set of devices came from ("Virtual microscope (20x)", "Bench GRBL + UVC"...). */
  profileName: string;
  /** The optical setup in use (preset id such as "20x"). */
  setupId: string;
  camera: Camera;
  zStage: ZStage;
  xyStage: XYStage;
  /** Releases every device (ports, child processes, workers). */
  close(): Promise<void>;
}
