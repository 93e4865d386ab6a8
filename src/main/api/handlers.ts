/** The backend's implementation of every procedure in the contract: one handler file per domain (handlers/). */
import type { Handlers } from '../../shared/api';
import type { Services } from '../services/container';
import { coreHandlers } from './handlers/core';
import { hardwareHandlers } from './handlers/hardware';
import { datasetHandlers } from './handlers/dataset';
import { acquisitionHandlers } from './handlers/acquisition';
import { modelsHandlers } from './handlers/models';
import { simulationHandlers } from './handlers/simulation';
import { autofocusHandlers } from './handlers/autofocus';
import { profilesHandlers } from './handlers/profiles';
import { calibrationHandlers } from './handlers/calibration';

export function createHandlers(s: Services): Handlers {
  return {
    ...coreHandlers(s),
    ...hardwareHandlers(s),
    ...datasetHandlers(s),
    ...acquisitionHandlers(s),
    ...modelsHandlers(s),
    ...simulationHandlers(s),
    ...autofocusHandlers(s),
    ...profilesHandlers(s),
    ...calibrationHandlers(s),
  };
}
