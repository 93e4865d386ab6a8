/** The backend's implementation of every procedure in the contract: one handler file per domain (handlers/). */
import type { Handlers } from '../../shared/api';
import type { Services } from '../services/container';
import { coreHandlers } from './handlers/core';
import { hardwareHandlers } from './handlers/hardware';
import { modelsHandlers } from './handlers/models';

export function createHandlers(s: Services): Handlers {
  return {
    ...coreHandlers(s),
    ...hardwareHandlers(s),
    ...modelsHandlers(s),
  };
}
