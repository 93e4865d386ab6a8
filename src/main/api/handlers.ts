/** The backend's implementation of every procedure in the contract, grouped by domain. */
import type { Handlers } from '../../shared/api';
import type { Services } from '../services/container';
import { appInfo } from './info';

export function createHandlers(s: Services): Handlers {
  return {
    info: () => appInfo(s),

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

    'tasks.list': async () => s.tasks.list(),
    'tasks.cancel': async ({ taskId }) => s.tasks.cancel(taskId),
    'tasks.pause': async ({ taskId }) => s.tasks.pause(taskId),
    'tasks.resume': async ({ taskId }) => s.tasks.resume(taskId),
  };
}
