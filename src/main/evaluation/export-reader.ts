/**
 * Reads a dataset export (notes/formats.md "Export layout"): manifest.csv + dataset.json + images/, and decodes its
 * images into Frames.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import type { Frame } from '../../hardware/types';
import { MANIFEST_COLUMNS } from '../dataset/export/layout';

export class EvaluationError extends Error {
  constructor(
    readonly code: 'export-invalid' | 'image-unreadable' | 'no-test-data' | 'no-models',
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'EvaluationError';
  }
}

export { MANIFEST_COLUMNS };

const num = z.coerce.number().refine(Number.isFinite, 'must be a number');
const optionalNum = z.preprocess((v) => (v === '' || v === undefined ? undefined : v), z.coerce.number().optional());

export const manifestRowSchema = z.object({
  path: z.string().min(1),
  split: z.enum(['train', 'test']),
  stack_id: z.string(),
  slide_id: z.string(),
  setup_id: z.string(),
  defocus_um: num,
  z_um: optionalNum,
  z_focus_um: optionalNum,
  pixel_size_um: num.refine((v) => v > 0, 'must be > 0'),
  magnification: optionalNum,
  na: optionalNum,
  channels: z.coerce.number().pipe(z.union([z.literal(1), z.literal(3)])),
  bit_depth: z.coerce.number().pipe(z.union([z.literal(8), z.literal(16)])),
  width: z.coerce.number().int().positive(),
  height: z.coerce.number().int().positive(),
  patch_x: optionalNum,
  patch_y: optionalNum,
  source: z.string(),
});

export type ManifestRow = z.infer<typeof manifestRowSchema>;

export interface ExportData {
  dir: string;
  /** dataset.json as written (checked for its format marker only). */
  dataset: Record<string, unknown>;
  rows: ManifestRow[];
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new EvaluationError('export-invalid', `${what} ${path} cannot be read: ${(err as Error).message}`, { path });
  }
}

export async function readExport(dir: string): Promise<ExportData> {
  const datasetText = await readText(join(dir, 'dataset.json'), 'export metadata');
  let dataset: Record<string, unknown>;
  try {
    dataset = JSON.parse(datasetText);
  } catch (err) {
    throw new EvaluationError(
      'export-invalid',
      `${join(dir, 'dataset.json')} is not valid JSON: ${(err as Error).message}`,
    );
  }
  if (dataset?.format !== 'focus-station-export') {
    throw new EvaluationError(
      'export-invalid',
      `${join(dir, 'dataset.json')} is not a focus-station export (format is ${JSON.stringify(dataset?.format)})`,
    );
  }
  const table = parseCsv(await readText(join(dir, 'manifest.csv'), 'manifest'));
  const [header, ...records] = table;
  const missing = MANIFEST_COLUMNS.filter((c) => !header?.includes(c));
  if (!header || missing.length) {
    throw new EvaluationError('export-invalid', `manifest.csv lacks the columns ${missing.join(', ')}`);
  }
  const rows = records.map((record, i) => {
    const raw = Object.fromEntries(header.map((name, c) => [name, record[c] ?? '']));
    const parsed = manifestRowSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new EvaluationError(
        'export-invalid',
        `manifest.csv line ${i + 2}: ${issue.path.join('.')}: ${issue.message}`,
      );
    }
    return parsed.data;
  });
  return { dir, dataset, rows };
}

/** The image file of a row, refusing paths that leave the export folder. */
export function imagePathOf(data: Pick<ExportData, 'dir'>, row: Pick<ManifestRow, 'path'>): string {
  const rel = normalize(row.path);
  if (isAbsolute(rel) || rel.startsWith(`..${sep}`) || rel === '..') {
    throw new EvaluationError('export-invalid', `manifest path ${row.path} leaves the export folder`);
  }
  return join(data.dir, rel);
}

/**
 * Decodes a PNG/TIFF image of the export into a Frame: greyscale stays one channel, 16-bit stays 16-bit (sharp would
 * otherwise convert to 8-bit sRGB), alpha is dropped. The file's own bit depth wins over the manifest's.
 */
export async function loadFrame(data: Pick<ExportData, 'dir'>, row: ManifestRow): Promise<Frame> {
  const path = imagePathOf(data, row);
  try {
    const meta = await sharp(path).metadata();
    const grey = (meta.channels ?? 3) <= 2;
    const sixteen = meta.depth === 'ushort';
    if (!sixteen && meta.depth !== 'uchar') throw new Error(`unsupported sample format ${meta.depth}`);
    const space = sixteen ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb';
    const { data: pixels, info } = await sharp(path)
      .removeAlpha()
      .toColourspace(space)
      .raw({ depth: sixteen ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 && info.channels !== 3) throw new Error(`${info.channels} channels`);
    const samples = sixteen
      ? new Uint16Array(pixels.buffer.slice(pixels.byteOffset, pixels.byteOffset + pixels.byteLength))
      : new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
    return {
      width: info.width,
      height: info.height,
      channels: info.channels,
      bitDepth: sixteen ? 16 : 8,
      data: samples,
      pixelSizeUm: row.pixel_size_um,
      exposureMs: 0,
      timestamp: 0,
      meta: { path: row.path, defocusUm: row.defocus_um },
    };
  } catch (err) {
    throw new EvaluationError('image-unreadable', `image ${path} cannot be decoded: ${(err as Error).message}`, {
      path,
    });
  }
}
