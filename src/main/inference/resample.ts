/**
 * Resampling a frame to the model's pixel size, with sharp (libvips, bicubic, anti-aliased when shrinking).
 *
 * Chosen by measurement (npm run bench:inference -- --resample): on a 2592x1944 RGB frame of a known scene, sharp was
 * about 10x faster than a plain-TypeScript area/bilinear resampler (about 20-40 ms against 150-600 ms on the shared
 * 2-core machine) with a comparable error against the ideal image a camera at the target pixel size would record, and it
 * runs off the main thread (libuv pool) instead of blocking the event loop. Channels and bit depth are kept: 8-bit stays
 * 8-bit, 16-bit (and 12-bit in 16) stays 16-bit, greyscale stays one channel.
 */
import sharp, { type Sharp } from 'sharp';

/** Interleaved pixels (channels per pixel), row-major. */
export interface Raster {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array | Uint16Array;
}

export async function resampleRaster(src: Raster, outWidth: number, outHeight: number): Promise<Raster> {
  if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth < 1 || outHeight < 1) {
    throw new RangeError(`cannot resample to ${outWidth}x${outHeight}`);
  }
  return throughSharp(src, outWidth, outHeight, 'resampling', (image) =>
    image.resize(outWidth, outHeight, { kernel: 'cubic', fit: 'fill' }),
  );
}

/**
 * The raster centred in a larger one, the margins filled with its mirror image (sharp's extend, mirror): for a frame
 * a little smaller than one patch, so that its blur still reaches the model as a whole patch.
 */
export async function mirrorPadRaster(src: Raster, outWidth: number, outHeight: number): Promise<Raster> {
  if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth < src.width || outHeight < src.height) {
    throw new RangeError(`cannot pad ${src.width}x${src.height} to ${outWidth}x${outHeight}`);
  }
  if (outWidth > 2 * src.width || outHeight > 2 * src.height) {
    throw new RangeError(
      `a mirror pad reaches at most twice the size: ${src.width}x${src.height} to ${outWidth}x${outHeight}`,
    );
  }
  const left = centredMargin(outWidth, src.width);
  const top = centredMargin(outHeight, src.height);
  return throughSharp(src, outWidth, outHeight, 'padding', (image) =>
    image.extend({
      left,
      right: outWidth - src.width - left,
      top,
      bottom: outHeight - src.height - top,
      extendWith: 'mirror',
    }),
  );
}

/** The margin before a span of `inner` px centred in `outer` px (the rest goes after it). */
export function centredMargin(outer: number, inner: number): number {
  return Math.floor((outer - inner) / 2);
}

/** One sharp operation on a raster, keeping its channels and bit depth, checked to give the size asked for. */
async function throughSharp(
  src: Raster,
  outWidth: number,
  outHeight: number,
  what: string,
  operation: (image: Sharp) => Sharp,
): Promise<Raster> {
  const sixteen = src.data instanceof Uint16Array;
  const grey = src.channels === 1;
  // Without an explicit colourspace sharp hands back 8-bit sRGB whatever came in.
  const space = sixteen ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb';
  const { data, info } = await operation(
    sharp(src.data, { raw: { width: src.width, height: src.height, channels: src.channels } }),
  )
    .toColourspace(space)
    .raw({ depth: sixteen ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== src.channels || info.width !== outWidth || info.height !== outHeight) {
    throw new Error(
      `${what} gave ${info.width}x${info.height}x${info.channels}, expected ${outWidth}x${outHeight}x${src.channels}`,
    );
  }
  const samples = sixteen
    ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { width: outWidth, height: outHeight, channels: src.channels, data: samples };
}
