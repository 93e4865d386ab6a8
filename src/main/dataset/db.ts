/**
 * Opening a dataset: one SQLite file plus an images folder beside it (<name>.images/).
 *
 * Safety order: the file is checked (SQLite header, user_version, integrity_check) BEFORE anything is written to it,
 * so a database from a newer FocusStation or a damaged one is refused untouched. Only then WAL mode is switched on
 * and migrations run.
 *
 * Pragmas: WAL + synchronous=NORMAL by default (a commit is atomic and the file stays consistent on power loss; the
 * last commits may roll back). The acquisition engine and imports switch their connection to synchronous=FULL while
 * they write, because there "at most the plane in flight is lost" must hold across a power cut too.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DatasetError, sqliteError } from './errors';
import { migrate, SCHEMA_VERSION } from './migrations';
import { sweepTempFiles } from './imageStore';

export interface Dataset {
  db: Database.Database;
  /** Absolute path of the .sqlite file. */
  file: string;
  /** Absolute path of the images folder (image paths in the db are relative to dirname(file)). */
  root: string;
  imagesDir: string;
  schemaVersion: number;
  close(): void;
}

export interface OpenOptions {
  /** Create the database when it does not exist (default false). */
  create?: boolean;
  /** Skip PRAGMA integrity_check (O(size)); default false. */
  skipIntegrityCheck?: boolean;
}

const SQLITE_MAGIC = 'SQLite format 3\u0000';

/** Folder of a dataset's images: `<db file without extension>.images`, next to the database. */
export function imagesDirFor(dbFile: string): string {
  const base = path.basename(dbFile).replace(/\.(sqlite3?|db)$/i, '');
  return path.join(path.dirname(dbFile), `${base}.images`);
}

function checkHeader(file: string): void {
  const size = fs.statSync(file).size;
  if (size === 0) return; // an empty file is an empty SQLite database
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(16);
    fs.readSync(fd, buf, 0, 16, 0);
    if (size < 100 || buf.toString('latin1') !== SQLITE_MAGIC) {
      throw new DatasetError(
        'corrupt',
        `${file} is not a FocusStation dataset (not an SQLite database); it was left untouched`,
      );
    }
  } finally {
    fs.closeSync(fd);
  }
}

function checkWritable(dir: string, file: string): void {
  for (const p of [dir, file]) {
    if (!fs.existsSync(p)) continue;
    try {
      fs.accessSync(p, fs.constants.W_OK);
    } catch (err) {
      throw new DatasetError(
        'read-only',
        `${p} is read-only (${(err as NodeJS.ErrnoException).code}); a dataset needs a writable folder for its database journal and images`,
      );
    }
  }
}

/** Refuses newer or damaged databases; runs on a connection that has not written anything yet. */
function checkExisting(db: Database.Database, file: string, skipIntegrity: boolean): void {
  let version: number;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
  } catch (err) {
    throw sqliteError(err, `opening ${file}`);
  }
  if (version > SCHEMA_VERSION) {
    throw new DatasetError(
      'newer-version',
      `${file} was written by a newer FocusStation (schema ${version}, this version knows up to ${SCHEMA_VERSION}); update the app. The file was left untouched`,
      { version, known: SCHEMA_VERSION },
    );
  }
  if (skipIntegrity) return;
  let rows: { integrity_check: string }[];
  try {
    rows = db.pragma('integrity_check') as { integrity_check: string }[];
  } catch (err) {
    const e = sqliteError(err, `checking ${file}`);
    throw new DatasetError(e.code === 'io' ? 'corrupt' : e.code, `${e.message}; the file was left untouched`);
  }
  if (rows.length !== 1 || rows[0].integrity_check !== 'ok') {
    throw new DatasetError(
      'corrupt',
      `${file} is damaged (integrity_check: ${rows
        .slice(0, 3)
        .map((r) => r.integrity_check)
        .join('; ')}); it was left untouched - restore a backup`,
    );
  }
}

export function openDataset(file: string, options: OpenOptions = {}): Dataset {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const exists = fs.existsSync(abs);
  if (!exists && !options.create) {
    throw new DatasetError('not-found', `no dataset at ${abs} (use create to make a new one)`);
  }
  if (exists) {
    if (!fs.statSync(abs).isFile()) throw new DatasetError('bad-input', `${abs} is not a file`);
    checkHeader(abs);
  } else if (!fs.existsSync(dir)) {
    throw new DatasetError('not-found', `folder ${dir} does not exist`);
  }
  checkWritable(dir, abs);

  let db: Database.Database;
  try {
    db = new Database(abs, { fileMustExist: exists });
  } catch (err) {
    throw sqliteError(err, `opening ${abs}`);
  }
  try {
    if (exists) checkExisting(db, abs, options.skipIntegrityCheck === true);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const schemaVersion = migrate(db);
    const imagesDir = imagesDirFor(abs);
    fs.mkdirSync(imagesDir, { recursive: true });
    sweepTempFiles(imagesDir);
    return {
      db,
      file: abs,
      root: dir,
      imagesDir,
      schemaVersion,
      close: () => {
        if (db.open) db.close();
      },
    };
  } catch (err) {
    db.close();
    if (err instanceof DatasetError) throw err;
    throw sqliteError(err, `opening ${abs}`);
  }
}

/** Runs fn with synchronous=FULL on this connection (durable commits), then restores NORMAL. */
export function withDurableCommits<T>(db: Database.Database, fn: () => Promise<T>): Promise<T> {
  db.pragma('synchronous = FULL');
  return fn().finally(() => {
    if (db.open) db.pragma('synchronous = NORMAL');
  });
}

export function nowIso(): string {
  return new Date().toISOString();
}
