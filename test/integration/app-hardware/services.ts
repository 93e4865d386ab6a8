/** The real backend (createServices + the real dispatcher) on a temporary hardware folder, with a typed client. */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createApiClient, type ApiClient } from '../../../src/shared/client';
import type { ApiEvent } from '../../../src/shared/api';
import { ApiCallError } from '../../../src/shared/errors';
import type { SimOptions } from '../../../src/shared/optics';
import { createServices, type ServiceOptions, type Services } from '../../../src/main/services/container';

export const OUT = join(__dirname, '..', '..', '..', 'test-output', 'app-hardware');

/** Small, instant virtual microscope: tests that do not measure time. */
export const FAST_SIM: SimOptions = { timeScale: 0, roi: { width: 160, height: 120 }, renderThreads: 0, zSettleMs: 0 };

export interface TestBackend {
  services: Services;
  api: ApiClient;
  events: ApiEvent[];
  hardwareDir: string;
  close(): Promise<void>;
}

export function tempHardwareDir(name: string): string {
  mkdirSync(OUT, { recursive: true });
  return mkdtempSync(join(OUT, `${name}-`));
}

export async function startBackend(
  options: Partial<ServiceOptions> & { hardwareDir?: string } = {},
  name = 'backend',
): Promise<TestBackend> {
  const hardwareDir = options.hardwareDir ?? tempHardwareDir(name);
  const services = await createServices({ frontDoor: 'browser', sim: FAST_SIM, ...options, hardwareDir });
  const events: ApiEvent[] = [];
  services.bus.subscribe((e) => events.push(e));
  const api = createApiClient({
    call: (method, payload) => services.dispatch(method, payload),
    subscribe: (listener) => services.bus.subscribe(listener),
  });
  return { services, api, events, hardwareDir, close: () => services.close() };
}

/** The rejection of an API call, as the client sees it. */
export async function apiError(p: Promise<unknown>): Promise<ApiCallError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiCallError)) throw new Error(`expected an API error, got ${String(err)}`);
  return err;
}
