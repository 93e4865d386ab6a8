/**
 * What every CLI command shares: an in-process API client over the same dispatcher as the other front doors,
 * JSON vs human output, and one clear error line with a non-zero exit code.
 */
import type { ApiClient } from '../../shared/client';
import { createApiClient } from '../../shared/client';
import { ApiCallError } from '../../shared/errors';
import { createServices, type ServiceOptions, type Services } from '../services/container';

export interface CliRun {
  api: ApiClient;
  services: Services;
}

/** Builds the backend, runs `fn` against it and always closes the devices again. */
export async function withApi<T>(fn: (run: CliRun) => Promise<T>, options: Partial<ServiceOptions> = {}): Promise<T> {
  const services = await createServices({ frontDoor: 'cli', ...options });
  const api = createApiClient({
    call: (method, payload) => services.dispatch(method, payload),
    subscribe: (listener) => services.bus.subscribe(listener),
  });
  try {
    return await fn({ api, services });
  } finally {
    await services.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Thrown by commands for a clear, expected failure (bad file, device error); printed as one line. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ApiCallError) return `${err.message} [${err.code}]`;
  if (err instanceof Error) return err.message;
  return String(err);
}
