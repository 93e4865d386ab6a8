/** Dataset-layer errors as they cross the API: a stable code the UI and scripts branch on, the same message. */
import { AppError, type ErrorCode } from '../../../shared/errors';
import { DatasetError } from '../../dataset/errors';

const CODES: Partial<Record<DatasetError['code'], ErrorCode>> = {
  'not-found': 'NOT_FOUND',
  duplicate: 'CONFLICT',
  conflict: 'CONFLICT',
  cancelled: 'CANCELLED',
};

export function toAppError(err: unknown): unknown {
  if (!(err instanceof DatasetError)) return err;
  return new AppError(CODES[err.code] ?? 'DATASET', err.message, { reason: err.code, ...(err.details ?? {}) });
}

/** Runs a dataset call; a DatasetError comes out as an AppError with its code mapped. */
export async function datasetCall<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAppError(err);
  }
}
