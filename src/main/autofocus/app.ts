/** Wiring of the autofocus service to the app's other services (container.ts calls this once). */
import type { Services } from '../services/container';
import { AutofocusService } from './service';

export function createAutofocusService(s: Services): AutofocusService {
  return new AutofocusService({
    hardware: () => {
      const m = s.hardware.devices;
      return { camera: m.camera, zStage: m.zStage, xyStage: m.xyStage, setupId: m.setupId, setup: m.setup };
    },
    registry: s.models.registry,
    engine: () => s.models.engine(),
    dataDir: s.dataDir,
    dataset: () => s.dataset.get(),
    slideName: () => s.hardware.devices.sim?.slide.name,
  });
}
