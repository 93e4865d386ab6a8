/**
 * The store path of one captured plane: encode (lossless) + hash + atomic file write + one transaction that inserts
 * the image row and advances the run's resume cursor. If the insert fails the new file is removed again.
 */
import type { Frame } from '../../hardware/types';
import type { Sharpness } from '../../shared/dataset';
import { checkFrame, DEFAULT_ENCODE, encodeRaw, type EncodeOptions } from '../dataset/codec';
import type { Dataset } from '../dataset/db';
import { sqliteError, DatasetError } from '../dataset/errors';
import type { ImageStore } from '../dataset/imageStore';
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

export async function storePlane(
  ds: Dataset,
  store: ImageStore,
  p: PlaneToStore,
  encode: EncodeOptions = DEFAULT_ENCODE,
): Promise<number> {
  checkFrame(p.frame);
  const bytes = await encodeRaw(p.frame, encode);
  const file = await store.put(bytes, encode.format === 'tiff' ? 'tif' : 'png');
  try {
    const id = ds.db.transaction(() => {
      const imageId = insertImage(ds.db, {
        stackId: p.stackId,
        planeIndex: p.planeIndex,
        zUm: p.zUm,
        exposureMs: p.frame.exposureMs,
        file: file.file,
        sha256: file.sha256,
        format: encode.format,
        bytes: file.bytes,
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
    store.commit();
    return id;
  } catch (err) {
    await store.rollback();
    throw err instanceof DatasetError ? err : sqliteError(err, `storing plane ${p.planeIndex} of stack ${p.stackId}`);
  }
}
