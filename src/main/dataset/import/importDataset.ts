/**
 * Import of foreign layouts into the dataset, all or nothing:
 *   1. scan the layout (no writes), 2. read and fully decode every image (truncated / unreadable -> refused),
 *   3. refuse duplicates (an image already in the dataset, or twice in one stack), 4. write the files atomically,
 *   5. one transaction: run, slides, stacks, images, labels (given, or fitted + QC where z_focus is not given).
 * Any failure (bad image, disk full, read-only folder, cancel) rolls the transaction back and removes the files
 * and folders this import created, so the dataset is exactly as it was.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { FocusFit, ImportProgress, QcFlag, QcVerdict, SharpnessMetric, Sharpness } from '../../../shared/dataset';
import { sharpnessOf } from '../../focus/metrics';
import {
  brightestSample,
  decodeImage,
  DEFAULT_ENCODE,
  encodeRaw,
  extFor,
  probeImage,
  type StoredFormat,
} from '../codec';
import { withDurableCommits, type Dataset } from '../db';
import { DatasetError, fsError, sqliteError } from '../errors';
import { ImageStore, sha256, type FileOps } from '../imageStore';
import { labelStack } from '../labelling';
import { findStoredHashes, insertImage } from '../repo/images';
import { createRun } from '../repo/runs';
import { requireSetup } from '../repo/setups';
import { getOrCreateSlide } from '../repo/slides';
import { createStack, markStackComplete, requireStackRow } from '../repo/stacks';
import { scanFilenames, type FilenameOptions } from './filenames';
import { scanJiang2018 } from './jiang2018';
import type { ImportPlan, PlannedPlane } from './plan';
import { scanTiffStacks, type TiffStackOptions } from './tiffStack';

export interface ImportOptions extends FilenameOptions, TiffStackOptions {
  db: Dataset;
  path: string;
  format: 'jiang2018' | 'filenames' | 'tiff-stack';
  /** Optical setup the images were taken with (must exist). */
  setupId: string;
  /** Jiang 2018: flip the published defocus sign. */
  defocusSign?: 1 | -1;
  metric?: SharpnessMetric;
  fit?: FocusFit;
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
  fileOps?: FileOps;
}

export interface ImportedStack {
  id: number;
  slideName: string;
  key: string;
  planes: number;
  zFocusUm: number | null;
  zFocusSource: string | null;
  qc: QcVerdict | null;
  flags: QcFlag[];
}

export interface ImportSummary {
  runId: number;
  format: string;
  stacks: ImportedStack[];
  images: number;
  ignored: string[];
}

interface CheckedPlane {
  plane: PlannedPlane;
  sha: string;
  format: StoredFormat;
  bytes: number;
  width: number;
  height: number;
  channels: 1 | 3;
  bitDepth: 8 | 12 | 16;
  /** Brightest sample of the plane: 16-bit files from 12-bit cameras end at 4095 (holdsTwelveBits). */
  maxSample: number;
  sharpness: Sharpness;
}

async function scan(o: ImportOptions): Promise<ImportPlan> {
  if (o.format === 'jiang2018') return scanJiang2018(o.path, { defocusSign: o.defocusSign });
  if (o.format === 'filenames') return scanFilenames(o.path, o);
  if (o.format === 'tiff-stack') return scanTiffStacks(o.path, o);
  throw new DatasetError('bad-input', `unknown import format ${String(o.format)} (jiang2018, filenames, tiff-stack)`);
}

/** The bytes that will be stored for a plane: the original file, or a TIFF page re-encoded as PNG. */
async function storedBytes(p: PlannedPlane): Promise<{ bytes: Buffer; format: StoredFormat }> {
  let file: Buffer;
  try {
    file = await fsp.readFile(p.file);
  } catch (err) {
    throw new DatasetError(
      'bad-input',
      `${p.originalName} cannot be read (${(err as NodeJS.ErrnoException).code ?? err})`,
    );
  }
  if (p.page === undefined) {
    const info = await probeImage(file, p.originalName);
    // 32-bit files are stored as the 16-bit image they decode to: the store, the export and the models read 8 and
    // 16 bits.
    if (!info.wide) return { bytes: file, format: info.format };
  }
  const raw = await decodeImage(file, p.originalName, p.page);
  return { bytes: await encodeRaw(raw, DEFAULT_ENCODE), format: 'png' };
}

async function checkPlane(p: PlannedPlane): Promise<CheckedPlane> {
  const { bytes, format } = await storedBytes(p);
  const raw = await decodeImage(bytes, p.originalName); // full decode: truncated files fail here
  return {
    plane: p,
    sha: sha256(bytes),
    format,
    bytes: bytes.length,
    width: raw.width,
    height: raw.height,
    channels: raw.channels,
    bitDepth: raw.bitDepth,
    maxSample: brightestSample(raw.data),
    sharpness: sharpnessOf(raw, raw.width * raw.height > 2_000_000 ? 2 : 1),
  };
}

/**
 * 16-bit planes of a stack that all end below 4096 hold 12-bit camera counts, stored unscaled as most scientific
 * cameras' software does (Micro-Manager): they are recorded as 12-bit, so that the export scales them to the full
 * range (toExportDepth) instead of writing patches 16x too dark for training. Judged over the whole stack, so that
 * its planes are scaled alike.
 */
export function holdsTwelveBits(planes: ReadonlyArray<Pick<CheckedPlane, 'bitDepth' | 'maxSample'>>): boolean {
  return planes.length > 0 && planes.every((p) => p.bitDepth === 16 && p.maxSample < 4096);
}

function checkStackConsistency(key: string, planes: CheckedPlane[]): void {
  const seen = new Map<string, string>();
  for (const c of planes) {
    const prev = seen.get(c.sha);
    if (prev)
      throw new DatasetError('duplicate', `stack ${key}: ${prev} and ${c.plane.originalName} are the same image`);
    seen.set(c.sha, c.plane.originalName);
    const f = planes[0];
    if (c.width !== f.width || c.height !== f.height || c.channels !== f.channels) {
      throw new DatasetError(
        'bad-input',
        `stack ${key}: ${c.plane.originalName} is ${c.width}x${c.height}x${c.channels}, ${f.plane.originalName} is ${f.width}x${f.height}x${f.channels}`,
      );
    }
  }
}

function checkNotImported(ds: Dataset, checked: CheckedPlane[][], plan: ImportPlan): void {
  const all = checked.flat();
  const found = findStoredHashes(
    ds.db,
    all.map((c) => c.sha),
  );
  if (found.length > 0) {
    const first = all.find((c) => c.sha === found[0].sha256)!;
    throw new DatasetError(
      'duplicate',
      `${found.length} of ${all.length} images are already in the dataset (e.g. ${first.plane.originalName} in stack ${found[0].stack_id}): this was imported before; nothing was imported`,
    );
  }
  const q = ds.db.prepare(
    'SELECT s.id FROM stacks s JOIN slides sl ON sl.id = s.slide_id WHERE sl.name = ? AND s.key = ?',
  );
  for (const s of plan.stacks) {
    const r = q.get(s.slideName, s.key) as { id: number } | undefined;
    if (r)
      throw new DatasetError(
        'duplicate',
        `slide ${s.slideName} already has a stack ${s.key} (stack ${r.id}); nothing was imported`,
      );
  }
}

function checkWritable(ds: Dataset): void {
  try {
    fs.accessSync(ds.imagesDir, fs.constants.W_OK);
  } catch (err) {
    throw fsError(err, 'import');
  }
}

export async function importDataset(o: ImportOptions): Promise<ImportSummary> {
  const ds = o.db;
  const progress = (phase: ImportProgress['phase'], done: number, total: number, message?: string) =>
    o.onProgress?.({ phase, done, total, ...(message ? { message } : {}) });
  const cancelled = () => {
    if (o.signal?.aborted) throw new DatasetError('cancelled', 'import was cancelled; nothing was imported');
  };
  requireSetup(ds.db, o.setupId);
  checkWritable(ds);
  progress('scan', 0, 0);
  const plan = await scan(o);
  const total = plan.stacks.reduce((a, s) => a + s.planes.length, 0);

  const checked: CheckedPlane[][] = [];
  let n = 0;
  for (const s of plan.stacks) {
    const planes: CheckedPlane[] = [];
    for (const p of s.planes) {
      cancelled();
      planes.push(await checkPlane(p));
      progress('check', ++n, total);
    }
    checkStackConsistency(s.key, planes);
    checked.push(holdsTwelveBits(planes) ? planes.map((c) => ({ ...c, bitDepth: 12 as const })) : planes);
  }
  checkNotImported(ds, checked, plan);

  const store = new ImageStore(ds.imagesDir, o.fileOps);
  const files: string[][] = [];
  try {
    n = 0;
    for (const planes of checked) {
      const rel: string[] = [];
      for (const c of planes) {
        cancelled();
        const { bytes } = await storedBytes(c.plane);
        if (sha256(bytes) !== c.sha)
          throw new DatasetError('bad-input', `${c.plane.originalName} changed during the import`);
        rel.push((await store.put(bytes, extFor(c.format), c.sha)).file);
        progress('store', ++n, total);
      }
      files.push(rel);
    }
    cancelled();
    progress('label', 0, plan.stacks.length);
    const ids = await withDurableCommits(ds.db, async () =>
      ds.db
        .transaction(() => {
          const run = createRun(ds.db, {
            kind: 'import',
            setupId: o.setupId,
            params: {
              format: o.format,
              path: o.path,
              pattern: o.pattern,
              value: o.value,
              unitUm: o.unitUm,
              stepUm: o.stepUm,
              defocusSign: o.defocusSign,
            },
            planesTotal: total,
            source: `import:${o.format}`,
          });
          const stackIds = plan.stacks.map((s, si) => {
            const slide = getOrCreateSlide(ds.db, {
              name: s.slideName,
              notes: `imported (${o.format}) from ${o.path}`,
            });
            const id = createStack(ds.db, {
              runId: run.id,
              slideId: slide.id,
              setupId: o.setupId,
              key: s.key,
              source: `import:${o.format}`,
            });
            checked[si].forEach((c, pi) =>
              insertImage(ds.db, {
                stackId: id,
                planeIndex: pi,
                zUm: c.plane.zUm,
                file: files[si][pi],
                sha256: c.sha,
                format: c.format,
                bytes: c.bytes,
                width: c.width,
                height: c.height,
                channels: c.channels,
                bitDepth: c.bitDepth,
                sharpness: c.sharpness,
                meta: { originalName: c.plane.originalName, givenDefocusUm: c.plane.defocusUm ?? null },
              }),
            );
            labelStack(ds.db, id, { metric: o.metric, fit: o.fit, givenZFocusUm: s.givenZFocusUm });
            markStackComplete(ds.db, id);
            return id;
          });
          ds.db
            .prepare(
              "UPDATE runs SET state = 'completed', planes_done = ?, owner_pid = NULL, finished_at = updated_at WHERE id = ?",
            )
            .run(total, run.id);
          return { runId: run.id, stackIds };
        })
        .immediate(),
    );
    store.commit();
    progress('label', plan.stacks.length, plan.stacks.length);
    return {
      runId: ids.runId,
      format: o.format,
      images: total,
      ignored: plan.ignored,
      stacks: ids.stackIds.map((id, i) => {
        const r = requireStackRow(ds.db, id);
        return {
          id,
          slideName: plan.stacks[i].slideName,
          key: plan.stacks[i].key,
          planes: plan.stacks[i].planes.length,
          zFocusUm: r.z_focus_um,
          zFocusSource: r.z_focus_source,
          qc: r.qc_verdict,
          flags: JSON.parse(r.qc_flags) as QcFlag[],
        };
      }),
    };
  } catch (err) {
    await store.rollback();
    if (err instanceof DatasetError) throw err;
    if ((err as { code?: string }).code?.startsWith('SQLITE')) throw sqliteError(err, 'import');
    throw fsError(err, 'import');
  }
}
