/**
 * Images with samples wider than 16 bits: ImageJ's "32-bit" images (float; flat-field correction, background
 * subtraction and averaging write them) and 32-bit integer counts. sharp casts them to 8 bits on output, so a float
 * frame in 0..1 came out black. They are read as float here and scaled to 16 bits, for `predict` and for the
 * dataset's import alike.
 */
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';

const WIDE_DEPTHS: ReadonlySet<string> = new Set(['float', 'double', 'int', 'uint']);
/** The bit depths whose counts wide samples may hold (8-bit counts are common in float files too). */
const WIDE_BITS = [8, 10, 12, 14, 16] as const;

export function isWideDepth(depth: Metadata['depth'] | undefined): boolean {
  return WIDE_DEPTHS.has(depth ?? '');
}

interface WideSamples {
  data: Float32Array;
  width: number;
  height: number;
  channels: number;
}

/** One page as float samples: one channel for a greyscale image, else as decoded (alpha dropped). */
async function wideSamples(input: Uint8Array | string, page: number, grey: boolean): Promise<WideSamples> {
  let pipeline = sharp(input, { failOn: 'error', page }).removeAlpha();
  if (grey) pipeline = pipeline.toColourspace('b-w');
  const { data, info } = await pipeline.raw({ depth: 'float' }).toBuffer({ resolveWithObject: true });
  return {
    data: new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    width: info.width,
    height: info.height,
    channels: info.channels,
  };
}

/** The brightest finite sample (-Infinity for none). */
function brightestFinite(data: Float32Array): number {
  let max = -Infinity;
  for (const v of data) if (v > max && Number.isFinite(v)) max = v;
  return max;
}

/** The fewest of 8-16 bits that hold this brightest sample; undefined within 0..1 (the float convention) or beyond. */
function wideDataBits(brightest: number): number | undefined {
  if (!(brightest > 1)) return undefined;
  return WIDE_BITS.find((b) => brightest < 2 ** b);
}

/**
 * The value at which a wide sample is white: the full scale of `bits` when given; else 1 for data within 0..1; else
 * the full scale of the fewest bits (8..16) that hold the brightest sample, as for 16-bit files; else the brightest.
 */
function wideFullScale(brightest: number, bits?: number): number {
  if (bits !== undefined) return 2 ** bits - 1;
  if (!(brightest > 1)) return 1;
  const fewest = wideDataBits(brightest);
  return fewest !== undefined ? 2 ** fewest - 1 : brightest;
}

/** Float samples as 16-bit ones, `fullScale` at white: negative and non-finite samples are black. */
function wideTo16(data: Float32Array, fullScale: number): Uint16Array {
  const gain = 65535 / fullScale;
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] * gain;
    out[i] = v > 0 ? Math.min(65535, Math.round(v)) : 0;
  }
  return out;
}

/** One page of a wide image as 16-bit samples. */
export interface Wide16 {
  data: Uint16Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/**
 * One page of a wide image scaled to 16 bits: white at the full scale of `bits` when given, else at wideFullScale of
 * its brightest sample, taken over all `pages` of a multi-page file so that the planes of a z-stack are scaled alike.
 * Throws (a plain Error) when the page decodes to other than one or three channels.
 */
export async function decodeWide16(
  input: Uint8Array | string,
  page: number,
  grey: boolean,
  pages: number,
  bits?: number,
): Promise<Wide16> {
  const wide = await wideSamples(input, page, grey);
  if (wide.channels !== 1 && wide.channels !== 3) {
    throw new Error(`decoded to ${wide.channels} channels; only greyscale and RGB are supported`);
  }
  const brightest =
    bits === undefined && pages > 1 ? await stackBrightest(input, pages, grey) : brightestFinite(wide.data);
  return {
    data: wideTo16(wide.data, wideFullScale(brightest, bits)),
    width: wide.width,
    height: wide.height,
    channels: wide.channels,
  };
}

/** Brightest samples of multi-page files already measured, by fingerprint (a z-stack is decoded page by page). */
const stackMaxima = new Map<string, number>();
const STACK_MAXIMA_KEPT = 8;

/**
 * The brightest sample of a multi-page wide file over all its pages, measured once per file: the planes of one
 * z-stack must be scaled alike (a page of 12-bit counts beside one of 14-bit counts would otherwise be read 4x
 * brighter), so their full scale comes from this.
 */
async function stackBrightest(input: Uint8Array | string, pages: number, grey: boolean): Promise<number> {
  const key = `${await fingerprint(input)}:${pages}:${grey}`;
  const known = stackMaxima.get(key);
  if (known !== undefined) return known;
  let max = -Infinity;
  for (let page = 0; page < pages; page++) {
    max = Math.max(max, brightestFinite((await wideSamples(input, page, grey)).data));
  }
  if (stackMaxima.size >= STACK_MAXIMA_KEPT) stackMaxima.delete(stackMaxima.keys().next().value as string);
  stackMaxima.set(key, max);
  return max;
}

/** A file's identity without hashing all of it: path, size and time for a path; size and both ends for bytes. */
async function fingerprint(input: Uint8Array | string): Promise<string> {
  if (typeof input === 'string') {
    const st = await fsp.stat(input);
    return `${input}:${st.size}:${st.mtimeMs}`;
  }
  const ends = 1 << 16;
  const h = createHash('sha1');
  h.update(input.subarray(0, ends));
  h.update(input.subarray(Math.max(0, input.length - ends)));
  return `${input.length}:${h.digest('hex')}`;
}
