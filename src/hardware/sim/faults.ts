/**
 * Switchable fault injection for reliability tests and demos. A fault is 'off', fires 'once' (then switches
 * itself off), 'always', or with a probability per call (seeded, so a test run is repeatable).
 */
import { Rng } from '../optics/rng';

export const FAULT_NAMES = [
  'camera.snap', // the capture fails ('capture')
  'camera.disconnect', // the camera link drops ('disconnected'); open() again to recover
  'z.timeout', // the Z stage does not answer ('timeout'); nothing moves
  'z.disconnect', // the Z stage link drops ('disconnected'); connect() again to recover
  'z.refuse', // the Z controller refuses the move ('device')
  'xy.timeout',
  'xy.disconnect',
  'xy.refuse',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];
export type FaultMode = 'off' | 'once' | 'always' | { probability: number };

export class FaultInjector {
  private readonly modes = new Map<FaultName, FaultMode>();
  private readonly rng: Rng;

  constructor(seed = 1) {
    this.rng = new Rng(seed ^ 0xfa17);
  }

  set(name: FaultName, mode: FaultMode): void {
    if (!FAULT_NAMES.includes(name)) throw new Error(`Unknown fault "${name}" (known: ${FAULT_NAMES.join(', ')})`);
    if (typeof mode === 'object' && !(mode.probability >= 0 && mode.probability <= 1)) {
      throw new Error(`Fault probability must be within 0..1, got ${mode.probability}`);
    }
    if (mode === 'off') this.modes.delete(name);
    else this.modes.set(name, mode);
  }

  get(name: FaultName): FaultMode {
    return this.modes.get(name) ?? 'off';
  }

  clear(): void {
    this.modes.clear();
  }

  /** True when the fault fires on this call ('once' switches itself off). */
  fires(name: FaultName): boolean {
    const m = this.modes.get(name);
    if (!m) return false;
    if (m === 'once') {
      this.modes.delete(name);
      return true;
    }
    if (m === 'always') return true;
    return typeof m === 'object' && this.rng.next() < m.probability;
  }
}

/** Sleeps ms * timeScale of real time (timeScale 0: resolves on the next macrotask). */
export function simSleep(ms: number, timeScale: number): Promise<void> {
  const real = Math.max(0, ms * timeScale);
  return new Promise((r) => setTimeout(r, real));
}
