/**
 * An image file as a Frame for `focus-station predict`: PNG/TIFF/JPEG..., 8 or 16 bit, greyscale (kept as one channel:
 * preprocessing replicates it to RGB) or colour; alpha is dropped. The pixel size is not in most files: the caller
 * gives it (default: the model's).
 */
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { Frame } from '../../hardware/types';

export class ImageFileError extends Error {
  readonly code = 'unreadable-image';
  constructor(message: string) {
    super(message);
    this.name = 'ImageFileError';
  }
}

export async function readImageFrame(path: string, pixelSizeUm: number): Promise<Frame> {
  let meta: Metadata;
  try {
    meta = await sharp(path, { failOn: 'error' }).metadata();
  } catch (err) {
    throw new ImageFileError(`${path}: not a readable image (${firstLine(err)})`);
  }
  const sixteen = meta.depth === 'ushort' || meta.depth === 'short' || (meta.bitsPerSample ?? 8) > 8;
  const bands = meta.channels ?? 3;
  const grey = bands <= 2;
  const space = sixteen ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb';
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(path, { failOn: 'error' })
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
    ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
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

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
