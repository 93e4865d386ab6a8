/** Every dataset failure carries one clear human message and a machine-readable code. */
export type DatasetErrorCode =
  | 'not-found' // no database at the path (and create was not asked)
  | 'newer-version' // written by a newer FocusStation: refused, left untouched
  | 'corrupt' // not SQLite, or integrity_check failed: refused, left untouched
  | 'read-only' // the dataset folder or a file in it cannot be written
  | 'disk-full' // no space left while writing
  | 'duplicate' // the same image (hash) already stored in that stack / dataset
  | 'bad-input' // unreadable or truncated image, wrong layout, invalid option
  | 'conflict' // e.g. a run that another live process owns
  | 'cancelled'
  | 'io'; // any other file-system error

export class DatasetError extends Error {
  constructor(
    readonly code: DatasetErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** Maps a Node fs error to a DatasetError with a message that names the path and what to do. */
export function fsError(err: unknown, what: string): DatasetError {
  if (err instanceof DatasetError) return err;
  const e = err as NodeJS.ErrnoException;
  const where = e?.path ? ` (${e.path})` : '';
  switch (e?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new DatasetError('disk-full', `${what}: the disk is full${where}; free some space and try again`, {
        errno: e.code,
      });
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return new DatasetError('read-only', `${what}: the dataset folder is not writable${where} (${e.code})`, {
        errno: e.code,
      });
    default:
      return new DatasetError('io', `${what}: ${e?.message ?? String(err)}`, { errno: e?.code });
  }
}

/** SQLite error codes (better-sqlite3 SqliteError.code) mapped the same way. */
export function sqliteError(err: unknown, what: string): DatasetError {
  if (err instanceof DatasetError) return err;
  const code = (err as { code?: string })?.code ?? '';
  const msg = (err as Error)?.message ?? String(err);
  if (code === 'SQLITE_FULL') return new DatasetError('disk-full', `${what}: the disk is full (${msg})`);
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN'))
    return new DatasetError('read-only', `${what}: the database cannot be written (${msg})`);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
    return new DatasetError('corrupt', `${what}: the database file is damaged or not a database (${msg})`);
  if (code.startsWith('SQLITE_IOERR')) return new DatasetError('io', `${what}: disk I/O error (${msg})`);
  return new DatasetError('io', `${what}: ${msg}`, { sqlite: code });
}

export function isAbort(signal?: AbortSignal): boolean {
  return signal?.aborted === true;
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new DatasetError('cancelled', `${what} was cancelled`);
}
