import type { HandlersOf } from '../../../shared/contract';
import type { hardwareProcedures } from '../../../shared/procedures/hardware';
import type { Services } from '../../services/container';
import { listDevices } from '../../hardware/detect';

export function hardwareHandlers(s: Services): HandlersOf<typeof hardwareProcedures> {
  return {
    'hardware.status': () => s.hardware.status(),
    'stage.position': () => s.hardware.position(),
    'stage.jog': ({ axis, deltaUm }) => s.hardware.jog(axis, deltaUm),
    'stage.moveTo': ({ axis, targetUm }) => s.hardware.moveTo(axis, targetUm),
    'stage.stop': () => {
      // STOP means no more motion: a task driving the stage (acquisition, calibration) is cancelled too.
      const driver = s.tasks.holderOf('stage');
      if (driver) s.tasks.cancel(driver.id);
      return s.hardware.stop();
    },
    'camera.preview': ({ maxSize, quality }) => s.hardware.preview(maxSize, quality),
    'camera.setExposure': async ({ exposureMs }) => {
      await s.hardware.setExposure(exposureMs);
      return { ok: true as const };
    },
    'hardware.connect': (ref) => s.profiles.connect(ref.id !== undefined ? { id: ref.id } : { profile: ref.profile! }),
    'hardware.disconnect': () => s.profiles.disconnect(),
    'hardware.connection': async () => s.hardware.connection(),
    'hardware.devices': ({ cameras }) => listDevices({ cameras }),
  };
}
