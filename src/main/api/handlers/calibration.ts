import type { HandlersOf } from '../../../shared/contract';
import type { calibrationProcedures } from '../../../shared/procedures/calibration';
import type { Services } from '../../services/container';

export function calibrationHandlers(s: Services): HandlersOf<typeof calibrationProcedures> {
  return {
    'calibration.run': async (input) => ({ taskId: s.calibration.run(input).id }),
    'calibration.results': async () => s.calibration.latest(),
    'calibration.apply': (values) => s.calibration.apply(values),
  };
}
