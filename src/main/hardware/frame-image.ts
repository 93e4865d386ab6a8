/** Frames to images: the one place where a Frame's raw pixels are handed to sharp. */
import sharp, { type Sharp } from 'sharp';
import type { Frame } from '../../hardware/types';

/** An 8-bit view of a frame (12/16-bit frames are scaled by their bit depth). */
export function frameTo8Bit(frame: Frame): Uint8Array {
  if (frame.data instanceof Uint8Array) return frame.data;
  const max = 2 ** frame.bitDepth - 1;
  const out = new Uint8Array(frame.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.round((frame.data[i] * 255) / max));
  return out;
}

export function frameToSharp(frame: Frame): Sharp {
  return sharp(frameTo8Bit(frame), {
    raw: { width: frame.width, height: frame.height, channels: frame.channels },
  });
}
