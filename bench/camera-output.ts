/**
 * Cameras whose frames come out as real ones often do, for `bench:autofocus --jpeg <quality>` and `--mono`: through
 * JPEG, as many labs store their stacks (sharp encodes and decodes), or from a monochrome camera (luminance in all
 * three channels, as the app replicates greyscale images). Our virtual camera delivers lossless colour frames; both
 * cost the shipped models wrong sides (docs/training.md 3d).
 */
import sharp from 'sharp';
import type { Camera, Frame } from '../src/hardware/types';

/** The frame as 8-bit, JPEG-encoded at `quality` and decoded again (12/16-bit frames keep their top 8 bits). */
export async function jpegRoundTrip(frame: Frame, quality: number): Promise<Frame> {
  const shift = frame.bitDepth - 8;
  const bytes =
    frame.data instanceof Uint8Array ? frame.data : Uint8Array.from(frame.data, (v) => Math.min(255, v >> shift));
  const encoded = await sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    raw: { width: frame.width, height: frame.height, channels: frame.channels },
  })
    .jpeg({ quality })
    .toBuffer();
  const { data, info } = await sharp(encoded).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== frame.channels) throw new Error(`JPEG came back with ${info.channels} channels`);
  return { ...frame, bitDepth: 8, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The luminance (ITU-R 601 weights, as training's monochrome()) in all three channels of an RGB frame. */
export function monochromeFrame(frame: Frame): Frame {
  if (frame.channels !== 3) return frame;
  const out = frame.data instanceof Uint8Array ? new Uint8Array(frame.data.length) : new Uint16Array(frame.data.length);
  for (let i = 0; i < frame.data.length; i += 3) {
    const y = Math.round(0.299 * frame.data[i] + 0.587 * frame.data[i + 1] + 0.114 * frame.data[i + 2]);
    out[i] = out[i + 1] = out[i + 2] = y;
  }
  return { ...frame, data: out };
}

/** `camera` with every snap passed through `output`. */
export function outputCamera(camera: Camera, output: (frame: Frame) => Frame | Promise<Frame>): Camera {
  return {
    open: () => camera.open(),
    close: () => camera.close(),
    isOpen: () => camera.isOpen(),
    info: () => camera.info(),
    getExposureMs: () => camera.getExposureMs(),
    setExposureMs: (ms) => camera.setExposureMs(ms),
    snap: async () => output(await camera.snap()),
  };
}
