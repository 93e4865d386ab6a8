/**
 * Export for retraining, exactly the layout of notes/formats.md:
 *   <out>/manifest.csv, <out>/dataset.json, <out>/images/s<stack>/p<plane>[_x<x>_y<y>].png
 * The export is written into a sibling temp folder and renamed into place at the end, so a cancelled or failed
 * export leaves nothing behind and a finished one is complete.
 * 12-bit images are scaled to the full 16-bit range (bit_depth 16 in the manifest); JPEG and TIFF sources are
 * converted to PNG.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ExportProgress } from '../../../shared/dataset';
import { appVersion } from '../appVersion';
import { decodeImage, encodeRaw, type RawImage } from '../codec';
import type { Dataset } from '../db';
import { DatasetError, fsError } from '../errors';
import { ImageStore } from '../imageStore';
import { hardExampleStacks } from '../repo/autofocus';
import { listImageRows, type ImageRow } from '../repo/images';
import { listSetups } from '../repo/setups';
import { csvLine } from './csv';
import {
  cropPatch,
  DEFAULT_BLANK,
  isBlank,
  patchContent,
  patchGrid,
  type BlankThresholds,
  type PatchSpec,
} from './patches';
import { describeLabelMethods, selectStacks, type ExportStack } from './select';
import { splitUnits, type Split } from './split';
import { MANIFEST_COLUMNS } from './layout';

export { MANIFEST_COLUMNS };

export interface ExportOptions {
  db: Dataset;
  out: string;
  /** 224x224 patches instead of full frames. */
  patches?: boolean;
  patchSize?: number;
  /** Patch stride (default = size: non-overlapping). */
  stride?: number;
  split?: 'stack' | 'slide';
  seed?: number;
  testFraction?: number;
  setupId?: string;
  /** Drop blank patches (decided on the plane nearest focus, applied to the whole column). */
  rejectBlank?: boolean | Partial<BlankThresholds>;
  includeExcluded?: boolean;
  includeQcFailed?: boolean;
  /** Replace an existing non-empty output folder. */
  overwrite?: boolean;
  pngLevel?: number;
  onProgress?: (p: ExportProgress) => void;
  signal?: AbortSignal;
}

export interface ExportSummary {
  out: string;
  images: number;
  train: number;
  test: number;
  stacks: number;
  slides: number;
  rejectedPatches: number;
  skipped: { excluded: number; qcFailed: number; unlabelled: number; incomplete: number };
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

function manifestSource(s: ExportStack): string {
  return s.source === 'autofocus' ? 'acquired' : s.source;
}

/** 12-bit data in a 16-bit container -> full 16-bit range, so readers can divide by 2^bit_depth - 1. */
function toExportDepth(img: RawImage, storedBitDepth: number): RawImage {
  if (storedBitDepth !== 12 || !(img.data instanceof Uint16Array)) return img;
  const out = new Uint16Array(img.data.length);
  const k = 65535 / 4095;
  for (let i = 0; i < out.length; i++) out[i] = Math.min(65535, Math.round(img.data[i] * k));
  return { ...img, data: out };
}

async function prepareOut(out: string, overwrite: boolean): Promise<string> {
  const abs = path.resolve(out);
  if (fs.existsSync(abs)) {
    const entries = fs.readdirSync(abs);
    if (entries.length > 0 && !overwrite) {
      throw new DatasetError('bad-input', `${abs} exists and is not empty; choose another folder or pass overwrite`);
    }
  } else if (!fs.existsSync(path.dirname(abs))) {
    throw new DatasetError('bad-input', `folder ${path.dirname(abs)} does not exist`);
  }
  const tmp = `${abs}.partial-${process.pid}`;
  await fsp.rm(tmp, { recursive: true, force: true });
  try {
    await fsp.mkdir(path.join(tmp, 'images'), { recursive: true });
  } catch (err) {
    throw fsError(err, `creating ${tmp}`);
  }
  return tmp;
}

async function finishOut(tmp: string, out: string): Promise<void> {
  const abs = path.resolve(out);
  if (fs.existsSync(abs)) await fsp.rm(abs, { recursive: true, force: true });
  await fsp.rename(tmp, abs);
}

interface Ctx {
  o: ExportOptions;
  tmp: string;
  store: ImageStore;
  manifest: string[];
  blank: BlankThresholds | null;
  size: number;
  stride: number;
  rejected: number;
  counts: { images: number; train: number; test: number };
}

function writeRow(
  ctx: Ctx,
  s: ExportStack,
  img: ImageRow,
  split: Split,
  rel: string,
  w: number,
  h: number,
  p: PatchSpec | null,
) {
  ctx.manifest.push(
    csvLine([
      rel,
      split,
      s.id,
      s.slideId,
      s.setupId,
      img.defocus_um,
      img.z_um,
      s.zFocusUm,
      s.pixelSizeUm,
      s.magnification,
      s.na,
      img.channels,
      img.bit_depth === 8 ? 8 : 16,
      w,
      h,
      p ? p.x : null,
      p ? p.y : null,
      manifestSource(s),
    ]),
  );
  ctx.counts.images++;
  ctx.counts[split]++;
}

/** Patch locations of a stack to keep: blankness judged on the plane nearest focus. */
async function keptPatches(ctx: Ctx, images: ImageRow[]): Promise<PatchSpec[]> {
  const first = images[0];
  const grid = patchGrid(first.width, first.height, ctx.size, ctx.stride);
  if (!ctx.blank || grid.length === 0) return grid;
  const focus = images.reduce((a, b) =>
    Math.abs(b.defocus_um ?? Infinity) < Math.abs(a.defocus_um ?? Infinity) ? b : a,
  );
  const raw = await decodeImage(await ctx.store.read(focus.file), focus.file);
  const kept = grid.filter((p) => !isBlank(patchContent(raw, p, ctx.size), ctx.blank!));
  ctx.rejected += (grid.length - kept.length) * images.length;
  return kept;
}

async function exportStack(ctx: Ctx, s: ExportStack, split: Split, done: () => void): Promise<void> {
  const images = listImageRows(ctx.o.db.db, s.id).filter((i) => i.defocus_um !== null);
  if (images.length === 0) return;
  const dirRel = `images/s${pad(s.id, 6)}`;
  await fsp.mkdir(path.join(ctx.tmp, dirRel), { recursive: true });
  const patches = ctx.o.patches ? await keptPatches(ctx, images) : null;
  for (const img of images) {
    if (ctx.o.signal?.aborted) throw new DatasetError('cancelled', 'export was cancelled');
    const plane = `p${pad(img.plane_index, 3)}`;
    const bytes = await ctx.store.read(img.file);
    if (!patches) {
      const rel = `${dirRel}/${plane}.png`;
      const direct = img.format === 'png' && img.bit_depth !== 12;
      const data = direct
        ? bytes
        : await encodeRaw(toExportDepth(await decodeImage(bytes, img.file), img.bit_depth), {
            format: 'png',
            pngLevel: ctx.o.pngLevel ?? 3,
          });
      await fsp.writeFile(path.join(ctx.tmp, rel), data);
      writeRow(ctx, s, img, split, rel, img.width, img.height, null);
    } else {
      const raw = toExportDepth(await decodeImage(bytes, img.file), img.bit_depth);
      for (const p of patches) {
        const rel = `${dirRel}/${plane}_x${pad(p.x, 4)}_y${pad(p.y, 4)}.png`;
        const patch: RawImage = { ...raw, data: cropPatch(raw, p, ctx.size), width: ctx.size, height: ctx.size };
        await fsp.writeFile(
          path.join(ctx.tmp, rel),
          await encodeRaw(patch, { format: 'png', pngLevel: ctx.o.pngLevel ?? 3 }),
        );
        writeRow(ctx, s, img, split, rel, ctx.size, ctx.size, p);
      }
    }
    done();
  }
}

function splitOf(stacks: ExportStack[], rule: 'stack' | 'slide', seed: number, frac: number): Map<number, Split> {
  if (rule === 'slide') {
    const bySlide = splitUnits(
      stacks.map((s) => s.slideId),
      seed,
      frac,
    );
    return new Map(stacks.map((s) => [s.id, bySlide.get(s.slideId)!]));
  }
  return splitUnits(
    stacks.map((s) => s.id),
    seed,
    frac,
  );
}

export async function exportDataset(o: ExportOptions): Promise<ExportSummary> {
  const rule = o.split ?? 'stack';
  const seed = o.seed ?? 0;
  const frac = o.testFraction ?? 0.1;
  const size = o.patchSize ?? 224;
  o.onProgress?.({ phase: 'select', done: 0, total: 0 });
  const sel = selectStacks(o.db.db, o);
  if (sel.stacks.length === 0) {
    throw new DatasetError(
      'bad-input',
      `nothing to export: no labelled stack matches (skipped: ${JSON.stringify(sel.skipped)}${o.setupId ? `, setup ${o.setupId}` : ''})`,
    );
  }
  const splits = splitOf(sel.stacks, rule, seed, frac);
  const hard = hardExampleStacks(o.db.db);
  const total = (
    o.db.db
      .prepare(
        `SELECT COUNT(*) AS n FROM images WHERE defocus_um IS NOT NULL AND stack_id IN (${sel.stacks.map((s) => s.id).join(',')})`,
      )
      .get() as { n: number }
  ).n;
  const tmp = await prepareOut(o.out, o.overwrite === true);
  const manifest: string[] = [`${MANIFEST_COLUMNS.join(',')}\n`];
  const blank = o.rejectBlank
    ? { ...DEFAULT_BLANK, ...(typeof o.rejectBlank === 'object' ? o.rejectBlank : {}) }
    : null;
  const ctx: Ctx = {
    o,
    tmp,
    store: new ImageStore(o.db.imagesDir),
    manifest,
    blank,
    size,
    stride: o.stride ?? size,
    rejected: 0,
    counts: { images: 0, train: 0, test: 0 },
  };
  let done = 0;
  const hardExamples: { stack_id: number; autofocus_run_id: number }[] = [];
  try {
    for (const s of sel.stacks) {
      await exportStack(ctx, s, splits.get(s.id)!, () => o.onProgress?.({ phase: 'write', done: ++done, total }));
      if (hard.has(s.id)) hardExamples.push({ stack_id: s.id, autofocus_run_id: hard.get(s.id)! });
    }
    await fsp.writeFile(path.join(tmp, 'manifest.csv'), manifest.join(''));
    const slides = new Map<number, { id: number; name: string; splits: Set<Split> }>();
    for (const s of sel.stacks) {
      const e = slides.get(s.slideId) ?? { id: s.slideId, name: s.slideName, splits: new Set<Split>() };
      e.splits.add(splits.get(s.id)!);
      slides.set(s.slideId, e);
    }
    const usedSetups = new Set(sel.stacks.map((s) => s.setupId));
    const testStacks = sel.stacks.filter((s) => splits.get(s.id) === 'test').length;
    const meta = {
      format: 'focus-station-export',
      format_version: 1,
      app_version: appVersion(),
      exported_at: new Date().toISOString(),
      setups: listSetups(o.db.db)
        .filter((s) => usedSetups.has(s.id))
        .map((s) => ({
          id: s.id,
          name: s.name,
          magnification: s.magnification,
          na: s.na,
          immersion: s.immersion,
          immersion_index: s.immersionIndex,
          condenser_sigma: s.condenserSigma,
          pixel_size_um: s.pixelSizeUm,
          camera_pixel_pitch_um: s.cameraPixelPitchUm,
          camera: s.camera,
        })),
      split: { rule, seed, test_fraction: frac, train_stacks: sel.stacks.length - testStacks, test_stacks: testStacks },
      counts: {
        images: ctx.counts.images,
        train: ctx.counts.train,
        test: ctx.counts.test,
        stacks: sel.stacks.length,
        slides: slides.size,
      },
      patch: o.patches
        ? {
            size,
            reject_blank: blank !== null,
            stride: ctx.stride,
            ...(blank
              ? { min_contrast: blank.minContrast, min_gradient: blank.minGradient, rejected: ctx.rejected }
              : {}),
          }
        : null,
      label_method: describeLabelMethods(sel.stacks),
      filters: {
        setup_id: o.setupId ?? null,
        include_excluded: o.includeExcluded === true,
        include_qc_failed: o.includeQcFailed === true,
        skipped_stacks: sel.skipped,
      },
      slides: [...slides.values()].map((s) => ({
        id: s.id,
        name: s.name,
        split: s.splits.size > 1 ? 'mixed' : [...s.splits][0],
      })),
      hard_examples: hardExamples,
    };
    await fsp.writeFile(path.join(tmp, 'dataset.json'), `${JSON.stringify(meta, null, 2)}\n`);
    o.onProgress?.({ phase: 'finish', done, total });
    await finishOut(tmp, o.out);
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw err instanceof DatasetError ? err : fsError(err, 'exporting the dataset');
  }
  return {
    out: path.resolve(o.out),
    ...ctx.counts,
    stacks: sel.stacks.length,
    slides: new Set(sel.stacks.map((s) => s.slideId)).size,
    rejectedPatches: ctx.rejected,
    skipped: sel.skipped,
  };
}
