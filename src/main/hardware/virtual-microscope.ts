/** The default hardware of a fresh machine: the virtual microscope, as the app's Microscope. */
import { createVirtualMicroscope } from '../../hardware/sim';
import type { SimOptions } from '../../shared/optics';
import type { Microscope } from './microscope';

/** Live view renders a 1280x960 region of the sensor: enough for the operator, fast enough for >= 6 frames/s. */
export const LIVE_ROI = { width: 1280, height: 960 } as const;

export async function createVirtualMicroscopeDevices(options: SimOptions = {}): Promise<Microscope> {
  const sim = await createVirtualMicroscope({ roi: LIVE_ROI, ...options });
  await sim.camera.open();
  return {
    profileName: `Virtual microscope (${sim.setup.id}, ${sim.slide.name})`,
    setupId: sim.setup.id,
    setup: sim.setup,
    camera: sim.camera,
    zStage: sim.zStage,
    xyStage: sim.xyStage,
    sim,
    close: () => sim.dispose(),
  };
}
