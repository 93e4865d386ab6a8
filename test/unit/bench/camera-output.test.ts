import { describe, expect, it } from 'vitest';
import { jpegRoundTrip, monochromeFrame, outputCamera } from '../../../bench/camera-output';
import type { Camera, Frame } from '../../../src/hardware/types';

function gradient(bitDepth: 8 | 12): Frame {
  const width = 64;
  const height = 48;
  const full = bitDepth === 8 ? 255 : 4095;
  const values = Array.from({ length: width * height * 3 }, (_, i) => {
    const p = Math.floor(i / 3);
    return Math.round((full * ((p % width) / width + Math.floor(p / width) / height)) / 2);
  });
  return {
    width,
    height,
    channels: 3,
    bitDepth,
    data: bitDepth === 8 ? Uint8Array.from(values) : Uint16Array.from(values),
    pixelSizeUm: 0.1725,
    exposureMs: 1,
    timestamp: 0,
  };
}

describe('bench: frames as real cameras deliver them', () => {
  it('keeps a smooth 8-bit frame close, and makes 12-bit frames 8-bit', async () => {
    const frame = gradient(8);
    const out = await jpegRoundTrip(frame, 90);
    expect(out.width).toBe(64);
    expect(out.bitDepth).toBe(8);
    expect(out.data.length).toBe(frame.data.length);
    const maxDiff = Math.max(...Array.from(out.data, (v, i) => Math.abs(v - frame.data[i])));
    expect(maxDiff).toBeLessThan(12);
    expect(Array.from(out.data).some((v, i) => v !== frame.data[i])).toBe(true); // lossy
    const deep = await jpegRoundTrip(gradient(12), 90);
    expect(deep.bitDepth).toBe(8);
    expect(deep.data).toBeInstanceOf(Uint8Array);
    expect(Math.abs(deep.data[3 * 63] - (gradient(12).data[3 * 63] >> 4))).toBeLessThan(12);
  });

  it('wraps a camera: everything passes through, snaps come back compressed', async () => {
    let snaps = 0;
    const inner = {
      open: async () => undefined,
      close: async () => undefined,
      isOpen: () => true,
      info: () => ({ name: 'fake' }),
      getExposureMs: () => 3,
      setExposureMs: async () => undefined,
      snap: async () => {
        snaps++;
        return gradient(8);
      },
    } as unknown as Camera;
    const camera = outputCamera(inner, (f) => jpegRoundTrip(f, 50));
    expect(camera.getExposureMs()).toBe(3);
    const frame = await camera.snap();
    expect(snaps).toBe(1);
    expect(frame.bitDepth).toBe(8);
    expect(frame.data.length).toBe(64 * 48 * 3);
  });

  it('a monochrome frame is the luminance in all three channels', () => {
    const frame = { ...gradient(8), data: Uint8Array.from([255, 0, 0, 0, 255, 0, 10, 20, 30]), width: 3, height: 1 };
    const grey = monochromeFrame(frame);
    expect(Array.from(grey.data)).toEqual([76, 76, 76, 150, 150, 150, 18, 18, 18]);
    expect(grey.bitDepth).toBe(8);
    const deep = monochromeFrame({ ...gradient(12), data: Uint16Array.from([4095, 4095, 4095]), width: 1, height: 1 });
    expect(Array.from(deep.data)).toEqual([4095, 4095, 4095]);
    expect(deep.data).toBeInstanceOf(Uint16Array);
  });
});
