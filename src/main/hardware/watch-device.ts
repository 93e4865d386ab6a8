/**
 * Devices as the app hands them out: every call goes to the device itself, and a HardwareError 'disconnected' on
 * the way back is reported once to the hardware service, whoever made the call (live view, acquisition, autofocus),
 * so the UI learns at once that a cable was pulled.
 */
import { HardwareError } from '../../hardware/types';

export function watchDevice<T extends object>(device: T, onLost: (err: HardwareError) => void): T {
  const report = (err: unknown) => {
    if (err instanceof HardwareError && err.kind === 'disconnected') onLost(err);
  };
  return new Proxy(device, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        let out: unknown;
        try {
          out = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (err) {
          report(err);
          throw err;
        }
        if (out instanceof Promise) {
          return out.catch((err: unknown) => {
            report(err);
            throw err;
          });
        }
        return out;
      };
    },
  });
}
