/**
 * Virtual slides: an in-focus brightfield image with a declared pixel size, seen as a large specimen.
 *
 * - Any image sharp decodes (PNG, JPEG, TIFF page 0, WebP...): 8/16-bit, grey (replicated to R=G=B), alpha
 *   (flattened onto white: transparent = empty glass). Missing, unreadable, empty, tiny or huge files throw one
 *   OpticsError (pixel limit: MAX_SLIDE_PIXELS by default).
 * - 8-bit images are taken as sRGB-encoded (scanner output) and linearised; 16-bit images as linear.
 * - White level per channel = 99.5th percentile (the glass background of a scan); transmittance T = I / I_white,
 *   clamped to [T_MIN, 1] so optical density stays finite (OD <= 4.6).
 * - The specimen is the image MIRROR-TILED without end: the field under any XY is defined, with no seam jump.
 *   Stage (0, 0) is the image centre; +x is to the right, +y down in the image.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { DEFAULT_SLIDE_PIXEL_SIZE_UM } from '../../shared/optics';
import { OpticsError } from './errors';
import { srgbDecode } from './camera-model';

export const MAX_SLIDE_PIXELS = 40_000_000;
export const T_MIN = 0.01;
const MIN_SIDE = 16;

export interface SlideLoadOptions {
  pixelSizeUm?: number;
  /** Decoded-pixel limit; larger images are refused. */
  maxPixels?: number;
  /** How 8-bit values map to light: 'srgb' (default for 8-bit) or 'linear' (default for 16-bit). */
  encoding?: 'srgb' | 'linear';
}

/** Transmittance and optical density of the slide resampled to one grid pitch. */
export interface SlideRaster {
  pitchUm: number;
  width: number;
  height: number;
  /** Per channel (3): intensity transmittance T in [T_MIN, 1]. */
  t: Float32Array[];
  /** Per channel (3): optical density -ln T. */
  od: Float32Array[];
}

export interface SlideInfo {
  path: string;
  name: string;
  widthPx: number;
  heightPx: number;
  pixelSizeUm: number;
  widthUm: number;
  heightUm: number;
  sourceChannels: number;
  sourceBitDepth: number;
  hadAlpha: boolean;
  encoding: 'srgb' | 'linear';
  whiteLevel: [number, number, number];
}

let srgbLut16: Float32Array | undefined;
function srgbLut(): Float32Array {
  if (!srgbLut16) {
    srgbLut16 = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) srgbLut16[i] = srgbDecode(i / 65535);
  }
  return srgbLut16;
}

export class Slide {
  private readonly rasters = new Map<number, Promise<SlideRaster>>();

  private constructor(
    readonly info: SlideInfo,
    private readonly maxPixels: number,
    /** In-memory linear RGB (interleaved, 0..1) for synthetic slides; undefined for files. */
    private readonly pixels?: Float32Array,
  ) {}

  /**
   * A synthetic slide from linear transmittance values (interleaved RGB, 0..1, white = 1), e.g. a phase target
   * or a random object in tests. White level is 1.
   */
  static fromPixels(name: string, width: number, height: number, pixelSizeUm: number, rgb: Float32Array): Slide {
    if (rgb.length !== width * height * 3)
      throw new OpticsError(
        'BAD_OPTION',
        `Synthetic slide ${name}: expected ${width * height * 3} values, got ${rgb.length}`,
      );
    const info: SlideInfo = {
      path: `memory:${name}`,
      name,
      widthPx: width,
      heightPx: height,
      pixelSizeUm,
      widthUm: width * pixelSizeUm,
      heightUm: height * pixelSizeUm,
      sourceChannels: 3,
      sourceBitDepth: 32,
      hadAlpha: false,
      encoding: 'linear',
      whiteLevel: [1, 1, 1],
    };
    return new Slide(info, MAX_SLIDE_PIXELS, rgb);
  }

  /** Opens and checks a slide image; the pixels are decoded per grid pitch on demand. */
  static async load(file: string, opts: SlideLoadOptions = {}): Promise<Slide> {
    const pixelSizeUm = opts.pixelSizeUm ?? DEFAULT_SLIDE_PIXEL_SIZE_UM;
    if (!Number.isFinite(pixelSizeUm) || pixelSizeUm <= 0) {
      throw new OpticsError('BAD_OPTION', `Slide pixel size must be a positive number of um, got ${pixelSizeUm}`);
    }
    const maxPixels = opts.maxPixels ?? MAX_SLIDE_PIXELS;
    let st;
    try {
      st = await stat(file);
    } catch {
      throw new OpticsError('SLIDE_MISSING', `Slide image not found: ${file}`);
    }
    if (!st.isFile()) throw new OpticsError('SLIDE_UNREADABLE', `Slide path is not a file: ${file}`);
    if (st.size === 0) throw new OpticsError('SLIDE_EMPTY', `Slide image is an empty file (0 bytes): ${file}`);
    let meta;
    try {
      meta = await sharp(file, { limitInputPixels: false }).metadata();
    } catch (e) {
      throw new OpticsError('SLIDE_UNREADABLE', `Slide image cannot be decoded (${(e as Error).message}): ${file}`);
    }
    const w = meta.width ?? 0;
    const h = meta.height ?? 0;
    if (w === 0 || h === 0) throw new OpticsError('SLIDE_EMPTY', `Slide image has no pixels: ${file}`);
    if (w * h > maxPixels) {
      throw new OpticsError(
        'SLIDE_TOO_LARGE',
        `Slide image is ${w}x${h} = ${((w * h) / 1e6).toFixed(1)} MP, over the ${(maxPixels / 1e6).toFixed(1)} MP limit; crop it first: ${file}`,
        { width: w, height: h, maxPixels },
      );
    }
    if (w < MIN_SIDE || h < MIN_SIDE)
      throw new OpticsError(
        'SLIDE_TOO_SMALL',
        `Slide image is ${w}x${h}, smaller than ${MIN_SIDE}x${MIN_SIDE}: ${file}`,
      );
    const depth =
      meta.depth === 'ushort' || meta.depth === 'short'
        ? 16
        : meta.depth === 'uchar' || meta.depth === 'char'
          ? 8
          : meta.depth === 'float' || meta.depth === 'double'
            ? 32
            : 8;
    const encoding = opts.encoding ?? (depth === 8 ? 'srgb' : 'linear');
    const info: SlideInfo = {
      path: file,
      name: path.basename(file),
      widthPx: w,
      heightPx: h,
      pixelSizeUm,
      widthUm: w * pixelSizeUm,
      heightUm: h * pixelSizeUm,
      sourceChannels: meta.channels ?? 0,
      sourceBitDepth: depth,
      hadAlpha: meta.hasAlpha ?? false,
      encoding,
      whiteLevel: [1, 1, 1],
    };
    const slide = new Slide(info, maxPixels);
    // Decode once at native size to check the pixels really decode and to fix the white level.
    const native = await slide.decode(w, h);
    info.whiteLevel = whiteLevels(native, w * h);
    return slide;
  }

  /** Decoded linear RGB (0..1, interleaved) at the requested size (lanczos3 resampling by libvips). */
  private async decode(width: number, height: number): Promise<Float32Array> {
    const { info: si } = this;
    if (this.pixels) return resizeBilinear(this.pixels, si.widthPx, si.heightPx, width, height);
    let data: Buffer;
    try {
      let img = sharp(si.path, { limitInputPixels: this.maxPixels + 1, failOn: 'error' }).flatten({
        background: '#ffffff',
      });
      if (width !== si.widthPx || height !== si.heightPx)
        img = img.resize(width, height, { kernel: 'lanczos3', fit: 'fill' });
      data = await img.toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer();
    } catch (e) {
      throw new OpticsError('SLIDE_UNREADABLE', `Slide image cannot be decoded (${(e as Error).message}): ${si.path}`);
    }
    const u16 = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
    if (u16.length !== width * height * 3)
      throw new OpticsError('SLIDE_UNREADABLE', `Slide image decoded to an unexpected size: ${si.path}`);
    const out = new Float32Array(u16.length);
    if (si.encoding === 'srgb') {
      const lut = srgbLut();
      for (let i = 0; i < u16.length; i++) out[i] = lut[u16[i]];
    } else {
      for (let i = 0; i < u16.length; i++) out[i] = u16[i] / 65535;
    }
    return out;
  }

  /** The slide resampled to grid pitch `pitchUm` as transmittance and optical density (cached per pitch). */
  raster(pitchUm: number): Promise<SlideRaster> {
    const key = Math.round(pitchUm * 1e6) / 1e6;
    let r = this.rasters.get(key);
    if (!r) {
      r = this.buildRaster(key);
      this.rasters.set(key, r);
      r.catch(() => this.rasters.delete(key));
    }
    return r;
  }

  private async buildRaster(pitchUm: number): Promise<SlideRaster> {
    const { info } = this;
    const scale = info.pixelSizeUm / pitchUm;
    const width = Math.max(MIN_SIDE, Math.round(info.widthPx * scale));
    const height = Math.max(MIN_SIDE, Math.round(info.heightPx * scale));
    if (width * height > this.maxPixels * 4) {
      throw new OpticsError(
        'SLIDE_TOO_LARGE',
        `Slide ${info.name} at ${pitchUm.toFixed(3)} um/px would be ${width}x${height} px; declare a coarser slide pixel size or crop it`,
      );
    }
    const rgb = await this.decode(width, height);
    const n = width * height;
    // SharedArrayBuffer-backed so render worker threads can read the raster without a copy.
    const shared = () => new Float32Array(new SharedArrayBuffer(4 * n));
    const t = [shared(), shared(), shared()];
    const od = [shared(), shared(), shared()];
    for (let c = 0; c < 3; c++) {
      const inv = 1 / info.whiteLevel[c];
      const tc = t[c];
      const oc = od[c];
      for (let i = 0; i < n; i++) {
        let v = rgb[3 * i + c] * inv;
        v = v < T_MIN ? T_MIN : v > 1 ? 1 : v;
        tc[i] = v;
        oc[i] = -Math.log(v);
      }
    }
    return { pitchUm, width, height, t, od };
  }
}

/** 99.5th percentile of each channel (the glass), floored at 5 % of full scale for images with no background. */
function whiteLevels(rgb: Float32Array, n: number): [number, number, number] {
  const bins = 4096;
  const out: [number, number, number] = [1, 1, 1];
  for (let c = 0; c < 3; c++) {
    const hist = new Uint32Array(bins);
    for (let i = 0; i < n; i++) hist[Math.min(bins - 1, Math.floor(rgb[3 * i + c] * bins))]++;
    let acc = 0;
    const target = 0.995 * n;
    let b = 0;
    for (; b < bins; b++) {
      acc += hist[b];
      if (acc >= target) break;
    }
    out[c] = Math.max(0.05, (b + 1) / bins);
  }
  return out;
}

/** Index into [0, n) of an unbounded index on the mirror-tiled axis (period 2n: 0..n-1, n-1..0). */
export function mirrorIndex(i: number, n: number): number {
  const p = 2 * n;
  let m = i % p;
  if (m < 0) m += p;
  return m < n ? m : p - 1 - m;
}

/** Bilinear resize of interleaved RGB (pixel-centre aligned, edges clamped); used for in-memory slides. */
function resizeBilinear(src: Float32Array, w: number, h: number, w2: number, h2: number): Float32Array {
  if (w === w2 && h === h2) return src;
  const out = new Float32Array(w2 * h2 * 3);
  for (let y = 0; y < h2; y++) {
    const v = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / h2 - 0.5));
    const y0 = Math.floor(v);
    const y1 = Math.min(h - 1, y0 + 1);
    const fy = v - y0;
    for (let x = 0; x < w2; x++) {
      const u = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / w2 - 0.5));
      const x0 = Math.floor(u);
      const x1 = Math.min(w - 1, x0 + 1);
      const fx = u - x0;
      for (let c = 0; c < 3; c++) {
        const a = src[3 * (y0 * w + x0) + c] * (1 - fx) + src[3 * (y0 * w + x1) + c] * fx;
        const b = src[3 * (y1 * w + x0) + c] * (1 - fx) + src[3 * (y1 * w + x1) + c] * fx;
        out[3 * (y * w2 + x) + c] = a * (1 - fy) + b * fy;
      }
    }
  }
  return out;
}
