/** Keyboard jogging: PageUp/PageDown coarse, ArrowUp/ArrowDown fine on Z; Shift+arrows move X/Y by the coarse step. */
import { JOG_STEPS_UM, type Axis } from '../../../shared/schemas/hardware';

export interface JogCommand {
  axis: Axis;
  deltaUm: number;
}

export function jogForKey(
  e: Pick<KeyboardEvent, 'key' | 'shiftKey' | 'target'>,
  steps = JOG_STEPS_UM,
): JogCommand | null {
  const target = e.target as HTMLElement | null;
  if (target && ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)) return null;
  if (e.shiftKey) {
    const xy = 10 * steps.coarse;
    switch (e.key) {
      case 'ArrowLeft':
        return { axis: 'x', deltaUm: -xy };
      case 'ArrowRight':
        return { axis: 'x', deltaUm: xy };
      case 'ArrowUp':
        return { axis: 'y', deltaUm: -xy };
      case 'ArrowDown':
        return { axis: 'y', deltaUm: xy };
      default:
        return null;
    }
  }
  switch (e.key) {
    case 'PageUp':
      return { axis: 'z', deltaUm: steps.coarse };
    case 'PageDown':
      return { axis: 'z', deltaUm: -steps.coarse };
    case 'ArrowUp':
      return { axis: 'z', deltaUm: steps.fine };
    case 'ArrowDown':
      return { axis: 'z', deltaUm: -steps.fine };
    default:
      return null;
  }
}
