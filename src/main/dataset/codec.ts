/**
 * Frame <-> image file bytes, through sharp (libvips). Lossless formats only for storage (PNG, TIFF);
 * JPEG is only ever stored as imported bytes, never re-encoded.
 *
 * 12-bit frames are stored in a 16-bit container with their native values (bit_depth = 12 in the db);
 * export scales them to the full 16-bit range (see export/).
 */
import sharp, { type Metadata } from 'sharp';
import type { Frame } from '../../hardware/types';
import { DatasetError } from './errors';
import { decodeWide16, isWideDepth } from './wide-samples';

export type StoredFormat = 'png' | 'tiff' | 'jpeg';

export interface EncodeOptions {
  format: 'png' | 'tiff';
  /** zlib level for PNG (0-9). */
  pngLevel?: number;
  /** TIFF compression. */
  tiffCompression?: 'none' | 'lzw' | 'deflate' | 'packbits';
}

/**
 * The store's default, chosen by bench/store.ts: uncompressed PNG (zlib level 0). On noisy 8-bit camera frames
 * deflate saves little (PNG level 3-6: 14.6 vs 15.1 MB per 5 MP RGB frame) at 0.7-1 s of CPU per frame, and
 * zlib-ng's level 1 (static Huffman) even grows the file; level 0 keeps up with >= 10 frames/s on 2 cores, and the
 * export copies the stored PNG byte for byte. Pass { format: 'png', pngLevel: 6 } to trade speed for disk.
 */
export const DEFAULT_ENCODE: EncodeOptions = { format: 'png', pngLevel: 0 };

export interface RawImage {
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  channels: 1 | 3;
  /** Container depth of `data`. */
  bitDepth: 8 | 16;
}

/** The brightest sample (0 for no samples): how many bits a 16-bit file's counts really use. */
export function brightestSample(data: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > max) max = data[i];
  return max;
}

export function extFor(format: StoredFormat): string {
  return format === 'tiff' ? 'tif' : format === 'jpeg' ? 'jpg' : 'png';
}

function pipelineFor(img: { data: Uint8Array | Uint16Array; width: number; height: number; channels: 1 | 3 }) {
  const s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
  if (img.data instanceof Uint16Array) return s.toColourspace(img.channels === 3 ? 'rgb16' : 'grey16');
  return s.toColourspace(img.channels === 3 ? 'srgb' : 'b-w');
}

export function checkFrame(frame: Pick<Frame, 'width' | 'height' | 'channels' | 'data' | 'bitDepth'>): void {
  const n = frame.width * frame.height * frame.channels;
  if (!Number.isInteger(frame.width) || !Number.isInteger(frame.height) || frame.width < 1 || frame.height < 1) {
    throw new DatasetError('bad-input', `frame size ${frame.width}x${frame.height} is not valid`);
  }
  if (frame.data.length !== n) {
    throw new DatasetError('bad-input', `frame data has ${frame.data.length} samples, expected ${n}`);
  }
  const wide = frame.bitDepth > 8;
  if (wide !== frame.data instanceof Uint16Array) {
    throw new DatasetError(
      'bad-input',
      `a ${frame.bitDepth}-bit frame must carry ${wide ? 'Uint16Array' : 'Uint8Array'} data`,
    );
  }
}

/** Encodes a frame (or any raw image) losslessly. */
export async function encodeRaw(img: RawImage | Frame, opts: EncodeOptions = DEFAULT_ENCODE): Promise<Buffer> {
  const p = pipelineFor(img);
  if (opts.format === 'tiff') {
    return p.tiff({ compression: opts.tiffCompression ?? 'none', predictor: 'none' }).toBuffer();
  }
  return p.png({ compressionLevel: opts.pngLevel ?? 1, adaptiveFiltering: false }).toBuffer();
}

export interface ImageInfo {
  format: StoredFormat;
  width: number;
  height: number;
  channels: 1 | 3;
  bitDepth: 8 | 16;
  pages: number;
  /** 32-bit samples (float or integer, ImageJ's "32-bit"): decoded to 16 bits (wide-samples.ts). */
  wide: boolean;
}

/** Reads the header; throws 'bad-input' for anything sharp cannot read or we do not store. */
export async function probeImage(bytes: Uint8Array | string, what: string): Promise<ImageInfo> {
  let m: Metadata;
  try {
    m = await sharp(bytes).metadata();
  } catch (err) {
    throw new DatasetError('bad-input', `${what} is not a readable image (${(err as Error).message})`);
  }
  const format = m.format === 'jpeg' ? 'jpeg' : m.format === 'png' ? 'png' : m.format === 'tiff' ? 'tiff' : null;
  if (!format) throw new DatasetError('bad-input', `${what}: format ${m.format} is not supported (PNG, TIFF, JPEG)`);
  if (!m.width || !m.height) throw new DatasetError('bad-input', `${what} has no image size`);
  const bands = (m.channels ?? 0) - (m.hasAlpha ? 1 : 0);
  const grey = bands === 1 || m.space === 'b-w' || m.space === 'grey16';
  const wide = isWideDepth(m.depth);
  const sixteen = wide || m.depth === 'ushort' || m.depth === 'short';
  return {
    format,
    width: m.width,
    height: m.pageHeight && m.pages && m.pages > 1 ? m.pageHeight : m.height,
    channels: grey ? 1 : 3,
    bitDepth: sixteen ? 16 : 8,
    pages: m.pages ?? 1,
    wide,
  };
}

/** Fully decodes an image (one page) to raw pixels; truncated or damaged files throw 'bad-input'. */
export async function decodeImage(bytes: Uint8Array | string, what: string, page = 0): Promise<RawImage> {
  const info = await probeImage(bytes, what);
  if (info.wide) return decodeWide(bytes, what, page, info);
  try {
    const p = sharp(bytes, { page, failOn: 'warning' })
      .removeAlpha()
      .toColourspace(
        info.bitDepth === 16 ? (info.channels === 3 ? 'rgb16' : 'grey16') : info.channels === 3 ? 'srgb' : 'b-w',
      );
    const { data, info: out } = await p.raw(info.bitDepth === 16 ? { depth: 'ushort' } : {}).toBuffer({
      resolveWithObject: true,
    });
    const channels = out.channels as 1 | 3;
    const pixels =
      info.bitDepth === 16 ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data);
    return { data: pixels, width: out.width, height: out.height, channels, bitDepth: info.bitDepth };
  } catch (err) {
    throw new DatasetError('bad-input', `${what} cannot be decoded (truncated or damaged: ${(err as Error).message})`);
  }
}

/** A 32-bit page scaled to 16 bits (decodeWide16), a z-stack's pages alike. */
async function decodeWide(bytes: Uint8Array | string, what: string, page: number, info: ImageInfo): Promise<RawImage> {
  try {
    return { ...(await decodeWide16(bytes, page, info.channels === 1, info.pages)), bitDepth: 16 };
  } catch (err) {
    throw new DatasetError('bad-input', `${what} cannot be decoded (truncated or damaged: ${(err as Error).message})`);
  }
}
