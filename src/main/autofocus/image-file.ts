/**
 * An image file (one page of it) as a Frame for `focus-station predict`: PNG/TIFF/JPEG..., 8, 16 or 32 bit (float or
 * integer), greyscale (kept as one channel: preprocessing replicates it to RGB) or colour; alpha is dropped. The
 * pixel size is not in most files: the caller gives it (default: the model's).
 */
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { brightestSample } from '../dataset/codec';
import { decodeWide16, isWideDepth, type Wide16 } from '../dataset/wide-samples';
import type { Frame } from '../../hardware/types';

export class ImageFileError extends Error {
  readonly code = 'unreadable-image';
  constructor(message: string) {
    super(message);
    this.name = 'ImageFileError';
  }
}

/**
 * `dataBits`: the bits a 16-bit file's samples really use (10, 12, 14 or 16); absent, they are found from the brightest
 * sample (`dataBitsOf`).
 */
export async function readImageFrame(path: string, pixelSizeUm: number, dataBits?: number, page = 0): Promise<Frame> {
  let meta: Metadata;
  try {
    meta = await sharp(path, { failOn: 'error', page }).metadata();
  } catch (err) {
    throw new ImageFileError(`${path}: not a readable image (${firstLine(err)})`);
  }
  const bands = meta.channels ?? 3;
  const grey = bands <= 2;
  if (isWideDepth(meta.depth)) return readWideFrame(path, page, grey, meta.pages ?? 1, pixelSizeUm, dataBits);
  const sixteen = isSixteenBit(meta);
  const space = sixteen ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb';
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(path, { failOn: 'error', page })
      .removeAlpha()
      .toColourspace(space)
      .raw({ depth: sixteen ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new ImageFileError(`${path}: cannot decode the image (${firstLine(err)})`);
  }
  const { data, info } = out;
  const channels = info.channels === 1 ? 1 : 3;
  if (info.channels !== channels) {
    throw new ImageFileError(`${path}: decoded to ${info.channels} channels; only greyscale and RGB are supported`);
  }
  const samples = sixteen
    ? toFullRange(new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)), dataBits)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return {
    width: info.width,
    height: info.height,
    channels,
    bitDepth: sixteen ? 16 : 8,
    data: samples,
    pixelSizeUm,
    exposureMs: 0,
    timestamp: Date.now(),
  };
}

/**
 * A wide page (32-bit float or integer samples) as a 16-bit frame (decodeWide16): white at `dataBits` when given,
 * else at the brightest sample's scale over all the file's pages.
 */
async function readWideFrame(
  path: string,
  page: number,
  grey: boolean,
  pages: number,
  pixelSizeUm: number,
  dataBits: number | undefined,
): Promise<Frame> {
  let wide: Wide16;
  try {
    wide = await decodeWide16(path, page, grey, pages, dataBits);
  } catch (err) {
    throw new ImageFileError(`${path}: cannot decode the image (${firstLine(err)})`);
  }
  return { ...wide, bitDepth: 16, pixelSizeUm, exposureMs: 0, timestamp: Date.now() };
}

/** Samples of more than 8 and at most 16 bits (32-bit files are isWideDepth). */
function isSixteenBit(meta: Metadata): boolean {
  return meta.depth === 'ushort' || meta.depth === 'short' || (meta.bitsPerSample ?? 8) > 8;
}

/** Samples (of 255 or 65535) by which a grey pixel's R, G and B may differ after JPEG's colour round trip. */
const GREY_TOLERANCE = { 8: 2, 16: 2 * 257 } as const;

/**
 * A monochrome camera's frame: one channel, or three equal ones (a grey image saved as RGB, as many viewers and
 * JPEG writers do). Such a frame carries none of the colour a colour model reads the side from, so `predict` reads
 * it with a model made for monochrome cameras where there is one.
 */
export function isMonochrome(frame: Pick<Frame, 'channels' | 'bitDepth' | 'data'>): boolean {
  if (frame.channels === 1) return true;
  const tolerance = GREY_TOLERANCE[frame.bitDepth === 16 ? 16 : 8];
  const d = frame.data;
  for (let i = 0; i + 2 < d.length; i += 3) {
    if (Math.abs(d[i] - d[i + 1]) > tolerance || Math.abs(d[i + 1] - d[i + 2]) > tolerance) return false;
  }
  return true;
}

/**
 * Pages of an image file: a multi-page TIFF holds a whole z-stack (ImageJ, Micro-Manager, our OME-TIFF export), each
 * page one plane; other files have one. An unreadable file says so when its first page is read.
 */
export async function imagePages(path: string): Promise<number> {
  try {
    return Math.max(1, (await sharp(path, { failOn: 'error' }).metadata()).pages ?? 1);
  } catch {
    return 1;
  }
}

/** The bit depths cameras write into 16-bit files. */
export const DATA_BITS = [10, 12, 14, 16] as const;

/**
 * The bits 16-bit samples really use: the fewest of DATA_BITS that hold the brightest sample. Most scientific cameras
 * digitise 12 (or 14) bits and their software (Micro-Manager, vendors' TIFFs) stores the counts as they are, so a
 * 12-bit frame ends at 4095 of 65535: read as 16-bit, a well-exposed brightfield field looks 16x too dark (refused as
 * dark, or far outside what the model saw). A genuinely 16-bit frame that is merely dim is stretched alike, which the
 * model, trained on well-exposed frames, reads better too.
 */
export function dataBitsOf(samples: Uint16Array): number {
  return bitsHolding(brightestSample(samples));
}

/** The fewest of DATA_BITS that hold this sample value. */
function bitsHolding(max: number): number {
  return DATA_BITS.find((bits) => max < 2 ** bits) ?? 16;
}

/**
 * The bits the samples of a 16-bit multi-page file use, over all its pages (undefined for 8-bit and 32-bit files),
 * so that the planes of one z-stack are scaled alike: a page found 12-bit beside one found 14-bit would be read 4x
 * brighter.
 */
export async function dataBitsOfFile(path: string, pages: number): Promise<number | undefined> {
  try {
    const meta = await sharp(path, { failOn: 'error' }).metadata();
    if (isWideDepth(meta.depth)) return undefined; // decodeWide16 scales a 32-bit stack over its pages itself
    if (!isSixteenBit(meta)) return undefined;
    let max = 0;
    for (let page = 0; page < pages; page++) {
      const stats = await sharp(path, { failOn: 'error', page }).stats();
      for (const c of stats.channels) max = Math.max(max, c.max);
    }
    return bitsHolding(max);
  } catch {
    return undefined; // each page then says what is wrong with it when it is read
  }
}

/** 16-bit samples that use `bits` bits, scaled to the full 16-bit range (in place); found when not given. */
function toFullRange(samples: Uint16Array, bits: number | undefined): Uint16Array {
  const used = bits ?? dataBitsOf(samples);
  if (used >= 16) return samples;
  const gain = 65535 / (2 ** used - 1);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.min(65535, Math.round(samples[i] * gain));
  return samples;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
