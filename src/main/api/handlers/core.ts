import type { HandlersOf } from '../../../shared/contract';
import type { coreProcedures } from '../../../shared/procedures/core';
import type { Services } from '../../services/container';
import { appInfo } from '../info';

export function coreHandlers(s: Services): HandlersOf<typeof coreProcedures> {
  return {
    info: () => appInfo(s),
    'tasks.list': async () => s.tasks.list(),
    'tasks.get': async ({ taskId }) => s.tasks.get(taskId),
    'tasks.cancel': async ({ taskId }) => s.tasks.cancel(taskId),
    'tasks.pause': async ({ taskId }) => s.tasks.pause(taskId),
    'tasks.resume': async ({ taskId }) => s.tasks.resume(taskId),
  };
}
