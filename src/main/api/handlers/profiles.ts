import type { HandlersOf } from '../../../shared/contract';
import type { profilesProcedures } from '../../../shared/procedures/profiles';
import { detectHardware } from '../../hardware/detect';
import type { Services } from '../../services/container';

export function profilesHandlers(s: Services): HandlersOf<typeof profilesProcedures> {
  return {
    'profiles.list': () => s.profiles.list(),
    'profiles.get': ({ id }) => s.profiles.get(id),
    'profiles.save': ({ profile, replaceId }) => s.profiles.save(profile, replaceId),
    'profiles.delete': ({ id }) => s.profiles.delete(id),
    'profiles.detect': async (input) => {
      const task = s.tasks.start({ kind: 'hardware.detect', title: 'Auto-detect hardware' }, (ctx) =>
        detectHardware({
          ...input,
          busyPorts: s.hardware.devices.ports ?? [],
          setupId: s.hardware.devices.setupId,
          signal: ctx.signal,
          onProgress: (done, total, message) => ctx.progress(done, total, message),
        }),
      );
      return { taskId: task.id };
    },
  };
}
