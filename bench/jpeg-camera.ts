/**
 * A camera whose frames went through JPEG, as many labs store their stacks: for `bench:autofocus --jpeg <quality>`.
 * Our virtual camera delivers lossless frames; real ones often come through a lossy file, which softens the
 * pixel-scale detail the 20x model reads the side of focus from (docs/training.md 3d). sharp encodes and decodes.
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

export function jpegCamera(camera: Camera, quality: number): Camera {
  return {
    open: () => camera.open(),
    close: () => camera.close(),
    isOpen: () => camera.isOpen(),
    info: () => camera.info(),
    getExposureMs: () => camera.getExposureMs(),
    setExposureMs: (ms) => camera.setExposureMs(ms),
    snap: async () => jpegRoundTrip(await camera.snap(), quality),
  };
}
