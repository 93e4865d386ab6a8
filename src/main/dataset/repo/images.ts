/** SQL for images (planes of a stack). */
import type Database from 'better-sqlite3';
import type { ImageSummary, Sharpness } from '../../../shared/dataset';
import { nowIso } from '../db';
import { DatasetError } from '../errors';

export interface ImageInput {
  stackId: number;
  planeIndex: number;
  zUm: number;
  defocusUm?: number | null;
  exposureMs?: number | null;
  file: string;
  sha256: string;
  format: string;
  bytes: number;
  width: number;
  height: number;
  channels: 1 | 3;
  bitDepth: 8 | 12 | 16;
  sharpness?: Sharpness | null;
  meta?: Record<string, unknown> | null;
  capturedAt?: string;
}

export interface ImageRow {
  id: number;
  stack_id: number;
  plane_index: number;
  z_um: number;
  defocus_um: number | null;
  exposure_ms: number | null;
  file: string;
  sha256: string;
  format: string;
  bytes: number;
  width: number;
  height: number;
  channels: 1 | 3;
  bit_depth: 8 | 12 | 16;
  sharp_norm_variance: number | null;
  sharp_brenner: number | null;
  sharp_tenengrad: number | null;
  sharp_laplacian_variance: number | null;
  meta: string | null;
  captured_at: string;
}

export function sharpnessOf(r: ImageRow): Sharpness | null {
  if (r.sharp_brenner === null) return null;
  return {
    normVariance: r.sharp_norm_variance ?? NaN,
    brenner: r.sharp_brenner,
    tenengrad: r.sharp_tenengrad ?? NaN,
    laplacianVariance: r.sharp_laplacian_variance ?? NaN,
  };
}

export const toImageSummary = (r: ImageRow): ImageSummary => ({
  id: r.id,
  stackId: r.stack_id,
  planeIndex: r.plane_index,
  zUm: r.z_um,
  defocusUm: r.defocus_um,
  file: r.file,
  sha256: r.sha256,
  width: r.width,
  height: r.height,
  channels: r.channels,
  bitDepth: r.bit_depth,
  exposureMs: r.exposure_ms,
  sharpness: sharpnessOf(r),
});

/** Inserts one plane; a second copy of the same image (hash) or plane in a stack is refused with 'duplicate'. */
export function insertImage(db: Database.Database, i: ImageInput): number {
  const dup = db
    .prepare('SELECT plane_index FROM images WHERE stack_id = ? AND (sha256 = ? OR plane_index = ?)')
    .get(i.stackId, i.sha256, i.planeIndex) as { plane_index: number } | undefined;
  if (dup) {
    throw new DatasetError(
      'duplicate',
      dup.plane_index === i.planeIndex
        ? `stack ${i.stackId} already has plane ${i.planeIndex}`
        : `this image (sha256 ${i.sha256.slice(0, 12)}...) is already plane ${dup.plane_index} of stack ${i.stackId}`,
      { stackId: i.stackId, planeIndex: dup.plane_index },
    );
  }
  const s = i.sharpness;
  const info = db
    .prepare(
      `INSERT INTO images (stack_id, plane_index, z_um, defocus_um, exposure_ms, file, sha256, format, bytes, width,
         height, channels, bit_depth, sharp_norm_variance, sharp_brenner, sharp_tenengrad, sharp_laplacian_variance,
         meta, captured_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      i.stackId,
      i.planeIndex,
      i.zUm,
      i.defocusUm ?? null,
      i.exposureMs ?? null,
      i.file,
      i.sha256,
      i.format,
      i.bytes,
      i.width,
      i.height,
      i.channels,
      i.bitDepth,
      s?.normVariance ?? null,
      s?.brenner ?? null,
      s?.tenengrad ?? null,
      s?.laplacianVariance ?? null,
      i.meta ? JSON.stringify(i.meta) : null,
      i.capturedAt ?? nowIso(),
    );
  return Number(info.lastInsertRowid);
}

export function listImageRows(db: Database.Database, stackId: number): ImageRow[] {
  return db.prepare('SELECT * FROM images WHERE stack_id = ? ORDER BY z_um, plane_index').all(stackId) as ImageRow[];
}

export function listImages(db: Database.Database, stackId: number): ImageSummary[] {
  return listImageRows(db, stackId).map(toImageSummary);
}

export function planeIndicesOf(db: Database.Database, stackId: number): Set<number> {
  const rows = db.prepare('SELECT plane_index FROM images WHERE stack_id = ?').all(stackId) as {
    plane_index: number;
  }[];
  return new Set(rows.map((r) => r.plane_index));
}

/** Is any of these hashes already stored anywhere in the dataset? Returns the first few matches. */
export function findStoredHashes(db: Database.Database, hashes: string[]): { sha256: string; stack_id: number }[] {
  const q = db.prepare('SELECT sha256, stack_id FROM images WHERE sha256 = ? LIMIT 1');
  const found: { sha256: string; stack_id: number }[] = [];
  for (const h of hashes) {
    const r = q.get(h) as { sha256: string; stack_id: number } | undefined;
    if (r) found.push(r);
  }
  return found;
}

/** Rewrites every label of a stack from its z_focus (NULL z_focus clears them). */
export function relabelImages(db: Database.Database, stackId: number, zFocusUm: number | null): void {
  db.prepare('UPDATE images SET defocus_um = CASE WHEN ? IS NULL THEN NULL ELSE z_um - ? END WHERE stack_id = ?').run(
    zFocusUm,
    zFocusUm,
    stackId,
  );
}

export function countImages(db: Database.Database): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
}
