/**
 * The store path of one captured plane, in two phases so the acquisition engine can overlap them:
 *   prepare: encode (lossless) + hash + atomic file write  - CPU and disk, may run for two planes at once;
 *   commit:  one transaction that inserts the image row and advances the run's resume cursor - in plane order.
 * A plane is "stored" only once its row is committed; a prepared file whose commit fails or is skipped is removed.
 */
import crypto from 'node:crypto';
import type { Frame } from '../../hardware/types';
import type { Sharpness } from '../../shared/dataset';
import { checkFrame, DEFAULT_ENCODE, encodeRaw, type EncodeOptions } from '../dataset/codec';
import type { Dataset } from '../dataset/db';
import { sqliteError, DatasetError } from '../dataset/errors';
import { ImageStore, type FileOps, type StoredFile } from '../dataset/imageStore';
import { insertImage } from '../dataset/repo/images';
import { advanceRun, type RunCursor } from '../dataset/repo/runs';

export interface PlaneToStore {
  stackId: number;
  planeIndex: number;
  zUm: number;
  frame: Frame;
  sharpness: Sharpness | null;
  meta?: Record<string, unknown>;
  run?: { id: number; next: RunCursor; planesDone: number };
}

/** A plane whose file is on disk (under its hash) but whose row is not committed yet. */
export interface PreparedPlane {
  file: StoredFile;
  format: EncodeOptions['format'];
  /** Removes the file again if this plane created it (commit failed or was skipped). */
  discard(): Promise<void>;
}

/** Phase 1: encode, hash and write the file atomically. Each call has its own ImageStore, so two can overlap. */
export async function preparePlane(
  ds: Dataset,
  frame: Frame,
  encode: EncodeOptions = DEFAULT_ENCODE,
  fileOps?: FileOps,
): Promise<PreparedPlane> {
  checkFrame(frame);
  const bytes = await encodeRaw(frame, encode);
  // WebCrypto hashes on the thread pool: 15 MB of SHA-256 (~20-40 ms) stays off the event loop, which the
  // acquisition needs for the next plane's sharpness and commit.
  const sha = Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
  const store = new ImageStore(ds.imagesDir, fileOps);
  const file = await store.put(bytes, encode.format === 'tiff' ? 'tif' : 'png', sha);
  return { file, format: encode.format, discard: () => store.rollback() };
}

/** Phase 2: the row and the run cursor, in one transaction. Synchronous: commits happen in call order. */
export function commitPlane(
  ds: Dataset,
  prepared: PreparedPlane,
  p: Omit<PlaneToStore, 'frame'> & { frame: Frame },
): number {
  return ds.db.transaction(() => {
    const imageId = insertImage(ds.db, {
      stackId: p.stackId,
      planeIndex: p.planeIndex,
      zUm: p.zUm,
      exposureMs: p.frame.exposureMs,
      file: prepared.file.file,
      sha256: prepared.file.sha256,
      format: prepared.format,
      bytes: prepared.file.bytes,
      width: p.frame.width,
      height: p.frame.height,
      channels: p.frame.channels,
      bitDepth: p.frame.bitDepth,
      sharpness: p.sharpness,
      meta: { ...(p.frame.meta ?? {}), ...(p.meta ?? {}) },
      capturedAt: new Date(p.frame.timestamp || Date.now()).toISOString(),
    });
    if (p.run) advanceRun(ds.db, p.run.id, p.run.next, p.run.planesDone);
    return imageId;
  })();
}

/** Both phases for one plane (imports, tests, the store benchmark). */
export async function storePlane(
  ds: Dataset,
  p: PlaneToStore,
  encode: EncodeOptions = DEFAULT_ENCODE,
  fileOps?: FileOps,
): Promise<number> {
  const prepared = await preparePlane(ds, p.frame, encode, fileOps);
  try {
    return commitPlane(ds, prepared, p);
  } catch (err) {
    await prepared.discard();
    throw err instanceof DatasetError ? err : sqliteError(err, `storing plane ${p.planeIndex} of stack ${p.stackId}`);
  }
}
