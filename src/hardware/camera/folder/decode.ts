/** Image files to Frame pixels with sharp: 8 or 16 bit, grey or RGB (alpha dropped). */
import sharp from 'sharp';
import { HardwareError } from '../../types';

export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  bitDepth: 8 | 16;
  data: Uint8Array | Uint16Array;
}

export async function decodeImageFile(path: string): Promise<DecodedImage> {
  let meta;
  try {
    meta = await sharp(path).metadata();
  } catch (err) {
    throw new HardwareError(
      'capture',
      `Cannot read the image ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const sixteen = meta.depth === 'ushort' || meta.depth === 'short';
  const grey = meta.channels === 1 || meta.channels === 2 || meta.space === 'b-w' || meta.space === 'grey16';
  let pipeline = sharp(path);
  pipeline = grey
    ? pipeline.toColourspace(sixteen ? 'grey16' : 'b-w')
    : pipeline.toColourspace(sixteen ? 'rgb16' : 'srgb');
  pipeline = pipeline.removeAlpha();
  const { data, info } = await pipeline
    .raw({ depth: sixteen ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const channels = info.channels === 1 ? 1 : 3;
  if (info.channels !== 1 && info.channels !== 3) {
    throw new HardwareError(
      'capture',
      `The image ${path} has ${info.channels} channels after conversion; expected grey or RGB`,
    );
  }
  if (sixteen) {
    const out = new Uint16Array(info.width * info.height * channels);
    for (let i = 0; i < out.length; i++) out[i] = data.readUInt16LE(i * 2);
    return { width: info.width, height: info.height, channels, bitDepth: 16, data: out };
  }
  return { width: info.width, height: info.height, channels, bitDepth: 8, data: new Uint8Array(data) };
}
