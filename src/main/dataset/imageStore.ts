/**
 * Content-addressed image files: <imagesDir>/<sha[0:2]>/<sha256>.<ext>, written atomically
 * (temp file in the same folder + fsync + rename + fsync of the folder), path stored relative to imagesDir.
 *
 * A crash can leave a temp file (swept at open) or a renamed file no row points to (harmless; `orphanFiles` lists
 * them). It can never leave a half-written file under a final name. A batch remembers what it created so a failed
 * import can remove exactly its own files and folders and leave the folder as it was.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { DatasetError, fsError } from './errors';

/** The file-system calls the store makes; tests swap in a fault-injecting layer. */
export interface FileOps {
  writeDurable(file: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  mkdir(dir: string): Promise<void>;
  rmdir(dir: string): Promise<void>;
  fsyncDir(dir: string): Promise<void>;
  exists(file: string): Promise<boolean>;
}

export const realFileOps: FileOps = {
  async writeDurable(file, data) {
    const fh = await fsp.open(file, 'wx');
    try {
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await fh.write(data, off, data.length - off);
        off += bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  rename: (a, b) => fsp.rename(a, b),
  unlink: (f) => fsp.unlink(f),
  mkdir: async (d) => {
    await fsp.mkdir(d);
  },
  rmdir: (d) => fsp.rmdir(d),
  async fsyncDir(dir) {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } catch {
      // some file systems refuse fsync on a directory; the rename is still atomic
    } finally {
      await fh.close();
    }
  },
  exists: async (f) => {
    try {
      await fsp.access(f);
      return true;
    } catch {
      return false;
    }
  },
};

export function sha256(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export interface StoredFile {
  /** Relative to imagesDir, forward slashes. */
  file: string;
  sha256: string;
  bytes: number;
  /** False when an identical file was already there (content addressing). */
  created: boolean;
}

const TEMP_RE = /^\.tmp-(\d+)-[0-9a-f]+$/;

export class ImageStore {
  private createdFiles: string[] = [];
  private createdDirs: string[] = [];

  constructor(
    readonly imagesDir: string,
    private readonly ops: FileOps = realFileOps,
  ) {}

  abs(file: string): string {
    if (file.includes('..') || path.isAbsolute(file)) throw new DatasetError('bad-input', `bad image path ${file}`);
    return path.join(this.imagesDir, ...file.split('/'));
  }

  /** Writes bytes under their hash; returns the relative path. */
  async put(data: Uint8Array, ext: string, knownSha?: string): Promise<StoredFile> {
    const hash = knownSha ?? sha256(data);
    const shard = hash.slice(0, 2);
    const dir = path.join(this.imagesDir, shard);
    const rel = `${shard}/${hash}.${ext}`;
    const target = path.join(dir, `${hash}.${ext}`);
    try {
      if (await this.ops.exists(target)) return { file: rel, sha256: hash, bytes: data.length, created: false };
      if (!(await this.ops.exists(dir))) {
        try {
          await this.ops.mkdir(dir);
          this.createdDirs.push(dir);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
      const tmp = path.join(dir, `.tmp-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
      try {
        await this.ops.writeDurable(tmp, data);
        await this.ops.rename(tmp, target);
      } catch (err) {
        await this.ops.unlink(tmp).catch(() => undefined);
        throw err;
      }
      this.createdFiles.push(target);
      await this.ops.fsyncDir(dir);
      return { file: rel, sha256: hash, bytes: data.length, created: true };
    } catch (err) {
      throw fsError(err, `writing image ${rel}`);
    }
  }

  /** Forget what was created: the caller's transaction committed. */
  commit(): void {
    this.createdFiles = [];
    this.createdDirs = [];
  }

  /** Removes every file and folder this store created since the last commit (newest first). */
  async rollback(): Promise<void> {
    for (const f of this.createdFiles.reverse()) await this.ops.unlink(f).catch(() => undefined);
    for (const d of this.createdDirs.reverse()) await this.ops.rmdir(d).catch(() => undefined);
    this.createdFiles = [];
    this.createdDirs = [];
  }

  async read(file: string): Promise<Buffer> {
    return fsp.readFile(this.abs(file));
  }

  /** True when the file exists and its content matches the hash. */
  async verify(file: string, expectedSha: string): Promise<boolean> {
    try {
      return sha256(await this.read(file)) === expectedSha;
    } catch {
      return false;
    }
  }
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files left by dead processes (a crash between write and rename). Returns how many. */
export function sweepTempFiles(imagesDir: string): number {
  let removed = 0;
  if (!fs.existsSync(imagesDir)) return 0;
  for (const shard of fs.readdirSync(imagesDir)) {
    const dir = path.join(imagesDir, shard);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const name of fs.readdirSync(dir)) {
      const m = TEMP_RE.exec(name);
      if (m && !pidAlive(Number(m[1]))) {
        fs.rmSync(path.join(dir, name), { force: true });
        removed++;
      }
    }
  }
  return removed;
}

/** Every stored file path (relative), for orphan checks and tests. */
export function listStoredFiles(imagesDir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(imagesDir)) return out;
  for (const shard of fs.readdirSync(imagesDir).sort()) {
    const dir = path.join(imagesDir, shard);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const name of fs.readdirSync(dir).sort()) out.push(`${shard}/${name}`);
  }
  return out;
}
