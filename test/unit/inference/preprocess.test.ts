import { describe, expect, it } from 'vitest';
import type { Frame } from '../../../src/hardware/types';
import {
  frameToPatches,
  packPatches,
  patchPositions,
  prepareFrame,
  tileGrid,
  type PreprocessSpec,
} from '../../../src/main/inference/preprocess';
import { mirrorPadRaster, resampleRaster } from '../../../src/main/inference/resample';

function frame(partial: Partial<Frame> & Pick<Frame, 'width' | 'height' | 'channels' | 'data'>): Frame {
  return { bitDepth: 8, pixelSizeUm: 0.5, exposureMs: 1, timestamp: 0, ...partial };
}

/** Identity normalisation (mean 0, std 1), so packed values are v / (2^bits - 1). */
function spec(size: number, extra: Partial<PreprocessSpec> = {}): PreprocessSpec {
  return {
    width: size,
    height: size,
    channels: ['R', 'G', 'B'],
    mean: [0, 0, 0],
    std: [1, 1, 1],
    pixelSizeUm: 0.5,
    ...extra,
  };
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

describe('tiling', () => {
  it('keeps full tiles on a centred grid', () => {
    expect(tileGrid(2592, 1944, 224)).toEqual({ cols: 11, rows: 8, x0: 64, y0: 76 });
    expect(tileGrid(224, 224, 224)).toEqual({ cols: 1, rows: 1, x0: 0, y0: 0 });
    expect(tileGrid(223, 500, 224)).toMatchObject({ cols: 0, rows: 2 });
  });

  it('gives each patch its position in the frame, row by row', async () => {
    const f = frame({ width: 10, height: 7, channels: 1, data: new Uint8Array(70) });
    const { positions, grid } = patchPositions(await prepareFrame(f, spec(3)));
    expect(grid).toEqual({ cols: 3, rows: 2, x0: 0, y0: 0 });
    expect(positions.map((p) => [p.row, p.col, p.x, p.y])).toEqual([
      [0, 0, 0, 0],
      [0, 1, 3, 0],
      [0, 2, 6, 0],
      [1, 0, 0, 3],
      [1, 1, 3, 3],
      [1, 2, 6, 3],
    ]);
  });

  it('maps positions back to frame pixels after resampling', async () => {
    const f = frame({ width: 40, height: 20, channels: 1, data: new Uint8Array(800), pixelSizeUm: 1 });
    const batch = await frameToPatches(f, spec(10)); // resampled to 80 x 40: 8 x 4 tiles
    expect(batch.n).toBe(32);
    expect(batch.scaleX).toBe(2);
    expect(batch.positions[9]).toMatchObject({
      row: 1,
      col: 1,
      x: 10,
      y: 10,
      frameX: 5,
      frameY: 5,
      frameWidth: 5,
      frameHeight: 5,
    });
  });
});

describe('NCHW packing', () => {
  it('puts every channel plane of every patch in order, on a hand-made image', async () => {
    // 2 x 1 RGB image, tiles of 1 x 1: patch 0 = pixel (0,0), patch 1 = pixel (1,0).
    const f = frame({ width: 2, height: 1, channels: 3, data: Uint8Array.from([10, 20, 30, 40, 50, 60]) });
    const out = await frameToPatches(f, spec(1));
    expect(out.n).toBe(2);
    expect(Array.from(out.data).map((v) => Math.round(v * 255))).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('lays out a 2x2 RGB patch as C x H x W', async () => {
    // pixel value = 100 * channel + 10 * y + x
    const data = new Uint8Array(2 * 2 * 3);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 2; x++) for (let c = 0; c < 3; c++) data[(y * 2 + x) * 3 + c] = 100 * c + 10 * y + x;
    const out = await frameToPatches(frame({ width: 2, height: 2, channels: 3, data }), spec(2));
    expect(Array.from(out.data).map((v) => Math.round(v * 255))).toEqual([
      0, 1, 10, 11, 100, 101, 110, 111, 200, 201, 210, 211,
    ]);
  });

  it('follows the card channel order (BGR)', async () => {
    const f = frame({ width: 1, height: 1, channels: 3, data: Uint8Array.from([10, 20, 30]) });
    const out = await frameToPatches(f, spec(1, { channels: ['B', 'G', 'R'] }));
    expect(Array.from(out.data).map((v) => Math.round(v * 255))).toEqual([30, 20, 10]);
  });

  it('applies (v / full - mean) / std per channel', async () => {
    const f = frame({ width: 1, height: 1, channels: 3, data: Uint8Array.from([255, 0, 51]) });
    const out = await frameToPatches(f, spec(1, { mean: [0.5, 0.25, 0.2], std: [0.25, 0.5, 0.1] }));
    expect(out.data[0]).toBeCloseTo((1 - 0.5) / 0.25, 6);
    expect(out.data[1]).toBeCloseTo((0 - 0.25) / 0.5, 6);
    expect(out.data[2]).toBeCloseTo((0.2 - 0.2) / 0.1, 6);
  });

  it('replicates greyscale to every channel', async () => {
    const f = frame({ width: 2, height: 1, channels: 1, data: Uint8Array.from([51, 102]) });
    const out = await frameToPatches(f, spec(1));
    expect(Array.from(out.data).map((v) => Math.round(v * 255))).toEqual([51, 51, 51, 102, 102, 102]);
  });

  it('reads 16-bit and 12-bit frames as linear light through the sRGB curve, at their full scale', async () => {
    const f16 = frame({ width: 1, height: 1, channels: 1, bitDepth: 16, data: Uint16Array.from([65535]) });
    expect((await frameToPatches(f16, spec(1))).data[0]).toBeCloseTo(1, 6);
    // linear 0.2152 is sRGB 0.5012 (127.8 of 255); linear 0.0010 (in the curve's straight start) 0.0130 (3.3)
    const mid = frame({ width: 1, height: 1, channels: 3, bitDepth: 16, data: Uint16Array.from([14100, 66, 65535]) });
    const out = Array.from((await frameToPatches(mid, spec(1))).data);
    expect(out).toEqual([expect.closeTo(128 / 255, 6), expect.closeTo(3 / 255, 6), 1]); // in 8 bits, as trained
    const twelve = async (v: number) =>
      (
        await frameToPatches(
          frame({ width: 1, height: 1, channels: 1, bitDepth: 12, data: Uint16Array.from([v]) }),
          spec(1),
        )
      ).data[0];
    expect(await twelve(4095)).toBeCloseTo(1, 6);
    expect(await twelve(885)).toBeCloseTo(128 / 255, 6); // 885 / 4095 = 0.2161 linear, sRGB 0.5022
  });

  it('packs a 16-bit linear frame as it packs the same scene in 8-bit sRGB, resampled or not', async () => {
    const width = 40;
    const height = 30;
    const srgb8 = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37 + (i % 7) * 11) % 256);
    const toLinear = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    const linear16 = Uint16Array.from(srgb8, (v) => Math.round(toLinear(v / 255) * 65535));
    for (const pixelSizeUm of [0.5, 0.6]) {
      const a = await frameToPatches(frame({ width, height, channels: 3, data: srgb8, pixelSizeUm }), spec(16));
      const b = await frameToPatches(
        frame({ width, height, channels: 3, bitDepth: 16, data: linear16, pixelSizeUm }),
        spec(16),
      );
      expect(b.n).toBe(a.n);
      const worst = a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i])), 0);
      expect(worst).toBeLessThan(pixelSizeUm === 0.5 ? 0.6 / 255 : 2 / 255);
    }
  });

  it('takes a 16-bit frame that says it is sRGB as it is, and an 8-bit one that says linear through the curve', async () => {
    const srgb16 = frame({
      width: 1,
      height: 1,
      channels: 1,
      bitDepth: 16,
      data: Uint16Array.from([32768]),
      encoding: 'srgb',
    });
    expect((await frameToPatches(srgb16, spec(1))).data[0]).toBeCloseTo(32768 / 65535, 6);
    const linear8 = frame({ width: 1, height: 1, channels: 1, data: Uint8Array.from([55]), encoding: 'linear' });
    expect((await frameToPatches(linear8, spec(1))).data[0]).toBeCloseTo(0.5, 2);
  });

  it('refuses a tile outside the image and a frame whose data does not match its size', async () => {
    const f = frame({ width: 4, height: 4, channels: 1, data: new Uint8Array(16) });
    const prepared = await prepareFrame(f, spec(3));
    expect(() => packPatches(prepared, [{ x: 2, y: 0 }])).toThrow(/does not fit/);
    await expect(
      prepareFrame(frame({ width: 4, height: 4, channels: 3, data: new Uint8Array(16) }), spec(3)),
    ).rejects.toThrow(/needs 48/);
  });
});

describe('resampling to the model pixel size', () => {
  /** A smooth textured image (what a microscope gives; sharp's bicubic is not asked to keep white noise's mean). */
  function texture(width: number, height: number, channels: number, full = 255): number[] {
    const values: number[] = [];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < channels; c++) {
          const v = 0.5 + 0.3 * Math.sin(x * 0.21 + c) * Math.cos(y * 0.17) + 0.15 * Math.sin((x + 2 * y) * 0.9);
          values.push(Math.round(v * full));
        }
      }
    }
    return values;
  }

  it('leaves a frame at the model pixel size untouched', async () => {
    const f = frame({ width: 8, height: 8, channels: 1, data: Uint8Array.from(texture(8, 8, 1)), pixelSizeUm: 0.501 });
    const p = await prepareFrame(f, spec(4));
    expect(p.scaleX).toBe(1);
    expect(p.image.data).toBe(f.data);
  });

  it('preserves the mean intensity when shrinking and enlarging, 8-bit RGB', async () => {
    const src = { width: 301, height: 203, channels: 3 as const, data: Uint8Array.from(texture(301, 203, 3)) };
    for (const [ow, oh] of [
      [150, 101],
      [97, 61],
      [211, 143],
      [452, 305],
    ]) {
      const out = await resampleRaster(src, ow, oh);
      expect(out.data).toBeInstanceOf(Uint8Array);
      expect(out.data.length).toBe(ow * oh * 3);
      expect(Math.abs(mean(out.data) - mean(src.data))).toBeLessThan(0.005 * mean(src.data));
    }
  });

  it('keeps greyscale one channel and 16-bit samples 16-bit, with their mean', async () => {
    const grey16 = {
      width: 160,
      height: 120,
      channels: 1 as const,
      data: Uint16Array.from(texture(160, 120, 1, 65535)),
    };
    const out = await resampleRaster(grey16, 111, 83);
    expect(out.channels).toBe(1);
    expect(out.data).toBeInstanceOf(Uint16Array);
    expect(out.data.length).toBe(111 * 83);
    expect(Math.abs(mean(out.data) - mean(grey16.data))).toBeLessThan(0.005 * mean(grey16.data));
    const max12 = await resampleRaster(
      { width: 40, height: 40, channels: 3, data: new Uint16Array(40 * 40 * 3).fill(4095) },
      20,
      20,
    );
    expect(Array.from(new Set(max12.data))).toEqual([4095]);
  });

  it('resamples a frame to the model pixel size and packs the mean through', async () => {
    // 1 um/px frame for a 0.5 um/px model: twice as many pixels, same grey level.
    const f = frame({ width: 64, height: 48, channels: 1, data: new Uint8Array(64 * 48).fill(102), pixelSizeUm: 1 });
    const batch = await frameToPatches(f, spec(32));
    expect(batch.n).toBe(12); // 128 x 96 -> 4 x 3
    expect(mean(batch.data)).toBeCloseTo(102 / 255, 5);
  });

  it('mirror-pads a raster to a larger one: the raster in the middle, its mirror image in the margins', async () => {
    const w = 5;
    const h = 3;
    const grey16 = {
      width: w,
      height: h,
      channels: 1 as const,
      data: Uint16Array.from({ length: w * h }, (_, i) => 1000 * i),
    };
    const out = await mirrorPadRaster(grey16, 9, 5);
    expect(out.data).toBeInstanceOf(Uint16Array);
    expect([out.width, out.height, out.channels]).toEqual([9, 5, 1]);
    const at = (x: number, y: number) => out.data[y * 9 + x];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(at(x + 2, y + 1)).toBe(grey16.data[y * w + x]);
    // every margin sample is one of the raster's own (its mirror image), not a constant fill
    const own = new Set(grey16.data);
    for (const v of out.data) expect(own.has(v)).toBe(true);
    expect(at(0, 2)).not.toBe(at(1, 2));
    const rgb8 = { width: 4, height: 4, channels: 3 as const, data: new Uint8Array(48).fill(200) };
    expect(Array.from(new Set((await mirrorPadRaster(rgb8, 6, 7)).data))).toEqual([200]);
    await expect(mirrorPadRaster(rgb8, 3, 4)).rejects.toThrow(/cannot pad/);
    await expect(mirrorPadRaster(rgb8, 9, 4)).rejects.toThrow(/at most twice/);
  });
});
