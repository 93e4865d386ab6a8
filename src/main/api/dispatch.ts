/**
 * The single entry point behind every front door: validate the payload against the contract, run the handler,
 * turn whatever it throws into one clear ApiErrorShape. A malformed payload never reaches a handler, so it can
 * never cause a partial action.
 */
import { z } from 'zod';
import { isMethod, procedures, type Handlers, type Method } from '../../shared/api';
import { AppError, ERROR_CODES, type ApiErrorShape, type ApiResponse, type ErrorCode } from '../../shared/errors';
import { HardwareError } from '../../hardware/types';
import { logger } from '../log';

export type Dispatch = (method: string, payload: unknown) => Promise<ApiResponse>;

export function createDispatcher(handlers: Handlers): Dispatch {
  return async (method, payload) => {
    if (!isMethod(method)) {
      return fail({ code: 'UNKNOWN_METHOD', message: `Unknown API method "${String(method).slice(0, 80)}"` });
    }
    const parsed = procedures[method].input.safeParse(payload ?? {});
    if (!parsed.success) {
      return fail({
        code: 'INVALID_INPUT',
        message: `Invalid input for ${method}: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
        details: { issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
      });
    }
    try {
      const handler = handlers[method] as (input: unknown) => Promise<unknown>;
      const result = await handler(parsed.data);
      return { ok: true, result };
    } catch (err) {
      return fail(toErrorShape(method, err));
    }
  };
}

export function toErrorShape(method: Method | string, err: unknown): ApiErrorShape {
  if (err instanceof AppError) return err.toJSON();
  if (err instanceof HardwareError) {
    return { code: 'HARDWARE', message: err.message, details: { kind: err.kind, ...(err.details ?? {}) } };
  }
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string') {
    if ((ERROR_CODES as readonly string[]).includes(code)) return { code: code as ErrorCode, message };
    if (code === 'ENOENT') return { code: 'NOT_FOUND', message, details: { reason: code } };
    // Domain errors (DatasetError, ModelError, ...) and system errors (ENOSPC, EACCES) keep their own reason.
    return { code: 'FAILED', message, details: { reason: code } };
  }
  logger.error({ err, method }, 'unexpected error in handler');
  return { code: 'INTERNAL', message: `${method} failed: ${message}` };
}

function fail(error: ApiErrorShape): ApiResponse {
  return { ok: false, error };
}
