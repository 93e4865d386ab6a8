/**
 * Cameras whose frames come out as real ones often do, for `bench:autofocus --jpeg <quality>` and `--mono`: through
 * JPEG, as many labs store their stacks (sharp encodes and decodes), or from a monochrome camera (luminance in all
 * three channels, as the app replicates greyscale images). Our virtual camera delivers lossless colour frames; both
 * cost the shipped models wrong sides (docs/training.md 3d).
 */
import sharp from 'sharp';
import type { Camera, Frame } from '../src/hardware/types';
import { luminance } from '../src/main/focus/luminance';
import { frameEncoding } from '../src/main/inference/encoding';

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
  // the values keep their encoding: a linear frame's top 8 bits are still linear
  const encoding = frameEncoding(frame);
  return { ...frame, bitDepth: 8, encoding, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The luminance (Rec. 601, the focus metrics' `luminance`) in all three channels of an RGB frame. */
export function monochromeFrame(frame: Frame): Frame {
  if (frame.channels !== 3) return frame;
  const grey = luminance(frame).data;
  const full = (1 << frame.bitDepth) - 1;
  const out = frame.data instanceof Uint8Array ? new Uint8Array(frame.data.length) : new Uint16Array(frame.data.length);
  for (let p = 0; p < grey.length; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = Math.round(grey[p] * full);
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
