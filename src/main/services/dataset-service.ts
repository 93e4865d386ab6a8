/**
 * The app's dataset: opens the default database (defaultDatabasePath) or the one the CLI names, on first use, and
 * keeps it open until shutdown. Also caches stack thumbnails (small JPEGs of the plane nearest focus).
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Dataset } from '../dataset/db';
import { openDataset } from '../dataset/db';
import { DatasetError } from '../dataset/errors';
import { ImageStore } from '../dataset/imageStore';
import { listImageRows, type ImageRow } from '../dataset/repo/images';
import { defaultDatabasePath } from '../paths';

const THUMB_PX = 96;
const THUMB_CACHE_MAX = 2000;

export class DatasetService {
  private ds: Dataset | null = null;
  private readonly thumbs = new Map<string, string>();

  /** `file`: the database to use (created when missing); default: the user's data folder. */
  constructor(private readonly file: string = defaultDatabasePath()) {}

  get path(): string {
    return path.resolve(this.file);
  }

  get isOpen(): boolean {
    return this.ds !== null;
  }

  /** The open dataset (opened, and created when missing, on first use). */
  get(): Dataset {
    if (this.ds) return this.ds;
    const dir = path.dirname(this.path);
    if (!fs.existsSync(dir)) {
      try {
        fs.mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw new DatasetError(
          'read-only',
          `cannot create the dataset folder ${dir} (${(err as NodeJS.ErrnoException).code})`,
        );
      }
    }
    this.ds = openDataset(this.path, { create: true });
    return this.ds;
  }

  /** A thumbnail data URL of the stack's plane nearest focus (or its sharpest plane when unlabelled). */
  async thumbnail(stackId: number): Promise<string | null> {
    const ds = this.get();
    const plane = nearestFocus(listImageRows(ds.db, stackId));
    if (!plane) return null;
    const key = `${plane.sha256}:${THUMB_PX}`;
    const hit = this.thumbs.get(key);
    if (hit) return hit;
    let url: string;
    try {
      const bytes = await new ImageStore(ds.imagesDir).read(plane.file);
      let img = sharp(bytes).resize(THUMB_PX, THUMB_PX, { fit: 'cover' });
      // 12-bit planes sit in the low part of a 16-bit container: stretch so they are not black.
      if (plane.bit_depth > 8) img = img.normalise();
      const jpeg = await img.toColourspace('srgb').jpeg({ quality: 70 }).toBuffer();
      url = `data:image/jpeg;base64,${jpeg.toString('base64')}`;
    } catch {
      return null; // a missing or damaged file shows as "no thumbnail", never as a failed page
    }
    if (this.thumbs.size >= THUMB_CACHE_MAX) this.thumbs.delete(this.thumbs.keys().next().value!);
    this.thumbs.set(key, url);
    return url;
  }

  close(): void {
    this.ds?.close();
    this.ds = null;
    this.thumbs.clear();
  }
}

function nearestFocus(rows: ImageRow[]): ImageRow | undefined {
  if (rows.length === 0) return undefined;
  if (rows.some((r) => r.defocus_um !== null)) {
    return rows.reduce((a, b) => (Math.abs(b.defocus_um ?? Infinity) < Math.abs(a.defocus_um ?? Infinity) ? b : a));
  }
  return rows.reduce((a, b) => ((b.sharp_tenengrad ?? -1) > (a.sharp_tenengrad ?? -1) ? b : a));
}
