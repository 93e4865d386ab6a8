/**
 * Errors as they cross a front door (IPC, WebSocket, HTTP, CLI): a stable code the UI and scripts can branch on,
 * and one human sentence the operator can act on.
 */
export const ERROR_CODES = [
  'INVALID_INPUT', // the payload does not match the contract; nothing was done
  'UNKNOWN_METHOD',
  'NOT_FOUND',
  'CONFLICT', // e.g. a task is already running, a duplicate import
  'HARDWARE', // camera/stage failure; details.kind says which (limit, timeout, disconnected, device, ...)
  'DATASET',
  'MODEL',
  'NO_CONTENT', // autofocus: no focusable content in the field
  'CANCELLED',
  'FAILED', // a domain error with its own reason (details.reason), e.g. a dataset from a newer app version
  'UNAUTHORIZED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ApiErrorShape {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export type ApiResponse<T = unknown> = { ok: true; result: T } | { ok: false; error: ApiErrorShape };

/** An error a service throws on purpose; its message is shown to the operator as is. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  toJSON(): ApiErrorShape {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** The client side: a failed call rejects with this, carrying the server's code and message. */
export class ApiCallError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(
    readonly method: string,
    error: ApiErrorShape,
  ) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
    this.details = error.details;
  }
}
