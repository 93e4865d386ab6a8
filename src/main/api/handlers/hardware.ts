import type { HandlersOf } from '../../../shared/contract';
import type { hardwareProcedures } from '../../../shared/procedures/hardware';
import type { Services } from '../../services/container';

export function hardwareHandlers(s: Services): HandlersOf<typeof hardwareProcedures> {
  return {
    'hardware.status': () => s.hardware.status(),
    'stage.position': () => s.hardware.position(),
    'stage.jog': ({ axis, deltaUm }) => s.hardware.jog(axis, deltaUm),
    'stage.moveTo': ({ axis, targetUm }) => s.hardware.moveTo(axis, targetUm),
    'stage.stop': () => s.hardware.stop(),
    'camera.preview': ({ maxSize, quality }) => s.hardware.preview(maxSize, quality),
    'camera.setExposure': async ({ exposureMs }) => {
      await s.hardware.setExposure(exposureMs);
      return { ok: true as const };
    },
  };
}
