import { describe, expect, it } from 'vitest';
import { srgbEncode } from '../../../src/hardware/optics/camera-model';
import { colourTemperatureBalance, DEFAULT_RANGES } from '../../../src/hardware/optics/randomize';
import { createVirtualMicroscope } from '../../../src/hardware/sim';
import type { Camera, Frame } from '../../../src/hardware/types';
import { estimateFrame, type DefocusPredictor } from '../../../src/main/autofocus/estimate';
import {
  balancedTiles,
  isUnity,
  measureWhiteReference,
  takeWhiteReference,
  trainedGlassRatios,
  whiteGains,
} from '../../../src/main/autofocus/white-reference';
import type { Raster } from '../../../src/main/inference/resample';
import { packPatches } from '../../../src/main/inference/preprocess';
import { CameraModelOptionsSchema, SETUP_PRESETS } from '../../../src/shared/optics';
import { tempDir } from '../../helpers/datasetFixtures';
import { writeGlassSlide } from '../../helpers/glassSlide';
import { snapSimField } from '../../helpers/simField';
import { AutofocusSettings } from '../../../src/shared/autofocus';
import { blankFrame, darkFrame, saturatedFrame, tissueFrame } from './frames';

const WAVELENGTHS = SETUP_PRESETS['20x'].wavelengthsUm;
const ref = (glassRgb: [number, number, number], exposureMs = 10) => ({
  glassRgb,
  exposureMs,
  takenAt: '2026-11-27T11:00:00.000Z',
  camera: 'test: camera',
});
const srgb8 = (linear: number) => Math.round(srgbEncode(linear) * 255);

describe('whiteGains', () => {
  it('leaves glass within the trained colour and level as it is', () => {
    expect(whiteGains(ref([0.6, 0.6, 0.6]), 10)).toEqual([1, 1, 1]);
    const warm = colourTemperatureBalance(3000, WAVELENGTHS).map((v) => v * 0.7) as [number, number, number];
    whiteGains(ref(warm), 10).forEach((g) => expect(g).toBeCloseTo(1, 10));
  });

  it('brings a white LED without white balance to the nearest trained colour, keeping the level', () => {
    const led = colourTemperatureBalance(6500, WAVELENGTHS).map((v) => v * 0.3) as [number, number, number];
    const gains = whiteGains(ref(led), 10);
    const glass = led.map((v, c) => v * gains[c]);
    const ratios = trainedGlassRatios();
    expect(glass[1]).toBeCloseTo(DEFAULT_RANGES.whiteFraction[0], 10); // 0.3 is below the trained 0.45
    expect(glass[0] / glass[1]).toBeCloseTo(ratios.r[0], 10); // bluest trained lamp: 3600 K
    expect(glass[2] / glass[1]).toBeCloseTo(ratios.b[1], 10);
    expect(gains[2]).toBeLessThan(gains[1]); // blue cut, red lifted
    expect(gains[0]).toBeGreaterThan(gains[1]);
  });

  it('follows the exposure: the same reference at a quarter of the time needs four times the gain', () => {
    const at10 = whiteGains(ref([0.2, 0.2, 0.2]), 10);
    const at2_5 = whiteGains(ref([0.2, 0.2, 0.2]), 2.5);
    expect(at10[1]).toBeCloseTo(0.45 / 0.2, 10);
    expect(at2_5[1]).toBeCloseTo(0.45 / 0.05, 10);
  });

  it('takes frames and a reference of unknown exposure (image files: 0) to be at the same exposure', () => {
    expect(whiteGains(ref([0.2, 0.2, 0.2], 0), 0)[1]).toBeCloseTo(0.45 / 0.2, 10);
    expect(whiteGains(ref([0.2, 0.2, 0.2], 10), 0)[1]).toBeCloseTo(0.45 / 0.2, 10);
  });

  it('leaves frames alone when the glass would clip at the present exposure', () => {
    expect(whiteGains(ref([0.5, 0.5, 0.9]), 20)).toEqual([1, 1, 1]);
  });
});

/** The whole raster as one tile. */
function balancedRaster(r: Raster, fullScale: number, gains: [number, number, number]): Raster {
  return balancedTiles(r, fullScale, gains, [{ x: 0, y: 0 }], r.width, r.height).image;
}

describe('balancedTiles', () => {
  const raster = (values: number[], channels: 1 | 3, bits: 8 | 16 = 8): Raster => ({
    width: values.length / channels,
    height: 1,
    channels,
    data: bits === 8 ? Uint8Array.from(values) : Uint16Array.from(values),
  });

  it('scales linear light per channel in the sRGB encoding, clipping at full scale', () => {
    const r = raster([srgb8(0.1), srgb8(0.1), srgb8(0.1), srgb8(0.5), srgb8(0.5), srgb8(0.5)], 3);
    const out = balancedRaster(r, 255, [2, 1, 4]);
    const expected = [srgb8(0.2), srgb8(0.1), srgb8(0.4), 255, srgb8(0.5), 255];
    // within a level: the 8-bit input is already rounded
    out.data.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1));
    expect(out.data).toBeInstanceOf(Uint8Array);
  });

  it('keeps 16-bit sRGB rasters at 16 bits, and gives greyscale the level (green) gain', () => {
    const full = 65535;
    const v = Math.round(srgbEncode(0.1) * full);
    const out16 = balancedRaster(raster([v, v, v], 3, 16), full, [1, 2, 1]);
    expect(out16.data).toBeInstanceOf(Uint16Array);
    expect(out16.data[1] / full).toBeCloseTo(srgbEncode(0.2), 4);
    const grey = balancedRaster(raster([srgb8(0.1)], 1), 255, [9, 3, 9]);
    expect(grey.data[0]).toBe(srgb8(0.3));
  });

  it('balances only the tiles the model reads, stacked into a strip, with their positions in it', () => {
    const width = 4;
    const values = Array.from({ length: width * 3 * 3 }, (_, i) => srgb8(0.01 * (i + 1))); // 4x3 RGB, all distinct
    const r: Raster = { width, height: 3, channels: 3, data: Uint8Array.from(values) };
    const tiles = [
      { x: 2, y: 1, id: 'a' },
      { x: 0, y: 0, id: 'b' },
    ];
    const strip = balancedTiles(r, 255, [1, 2, 1], tiles, 2, 2);
    expect(strip.image).toMatchObject({ width: 2, height: 4, channels: 3 });
    expect(strip.tiles).toEqual([
      { x: 0, y: 0, id: 'a' },
      { x: 0, y: 2, id: 'b' },
    ]);
    const whole = balancedRaster(r, 255, [1, 2, 1]);
    const at = (img: Raster, x: number, y: number) =>
      Array.from(img.data.slice((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
    for (const [k, t] of tiles.entries())
      for (let dy = 0; dy < 2; dy++)
        for (let dx = 0; dx < 2; dx++) expect(at(strip.image, dx, 2 * k + dy)).toEqual(at(whole, t.x + dx, t.y + dy));
    expect(at(whole, 3, 2)[1]).not.toBe(at(r, 3, 2)[1]); // green did change
  });

  it('counts gains within 1 % of 1 as unity (frames already in range are read as they come)', () => {
    expect(isUnity([1, 1.005, 0.995])).toBe(true);
    expect(isUnity([1, 1.02, 1])).toBe(false);
  });
});

describe('measureWhiteReference', () => {
  it('reads the linear glass colour of the field centre', () => {
    const f = blankFrame(672, 448);
    const reference = measureWhiteReference({ ...f, exposureMs: 12 }, 'test: camera', new Date('2026-11-27T11:00:00Z'));
    // blankFrame: 220 at the centre, falling to 70 % at the corners; the central ninth is 205-220 (sRGB), linear
    // 0.61-0.72
    for (const v of reference.glassRgb) {
      expect(v).toBeGreaterThan(0.6);
      expect(v).toBeLessThan(0.73);
    }
    expect(reference.exposureMs).toBe(12);
    expect(reference.takenAt).toBe('2026-11-27T11:00:00.000Z');
    expect(reference.camera).toBe('test: camera');
    expect(() => AutofocusSettings.parse({ whiteReference: reference })).not.toThrow();
  });

  it('takes frames of more than 8 bits as linear light', () => {
    const width = 448;
    const height = 448;
    const data = new Uint16Array(width * height * 3);
    for (let i = 0; i < data.length; i += 3) [data[i], data[i + 1], data[i + 2]] = [20000, 30000, 40000];
    const f: Frame = {
      width,
      height,
      channels: 3,
      bitDepth: 16,
      data,
      pixelSizeUm: 0.1725,
      exposureMs: 10,
      timestamp: 0,
    };
    const r = measureWhiteReference(f, 'test: camera');
    expect(r.glassRgb[0]).toBeCloseTo(20000 / 65535, 4);
    expect(r.glassRgb[2]).toBeCloseTo(40000 / 65535, 4);
  });

  it('refuses a field with sample, a clipped one and a dark one, saying what to do', () => {
    expect(() => measureWhiteReference(tissueFrame(0), 'test: camera')).toThrow(
      /not blank glass.*move to an empty area/,
    );
    expect(() => measureWhiteReference(saturatedFrame(), 'test: camera')).toThrow(/saturated.*lower the exposure/);
    expect(() => measureWhiteReference(darkFrame(), 'test: camera')).toThrow(/too dark.*lamp/);
  });
});

describe('a white reference on the virtual microscope', () => {
  // The same field through a white LED without white balance at half the exposure, and as training renders it with
  // the nearest trained lamp and level (3600 K, the glass at 45 % of full well): with the reference's gains the
  // patches the model reads are those of the trained rendering.
  const snapField = (camera: { whiteBalance?: [number, number, number]; exposureMs?: number }, slidePath?: string) =>
    snapSimField(camera, { slidePath, width: 448, height: 448 });

  it('brings an LED-lit, under-exposed field back to the colours the model was trained on', async () => {
    const led = { whiteBalance: colourTemperatureBalance(6500, WAVELENGTHS), exposureMs: 5 };
    const blank = await snapField(led, await writeGlassSlide(tempDir('white-ref')));
    const reference = measureWhiteReference(blank.frame, 'sim: virtual');

    const d = CameraModelOptionsSchema.parse({}); // the virtual camera's glass: its signal rate x exposure / well
    const glassAtDefault = (d.electronsPerMsAtWhite * d.exposureMs) / d.fullWellE;
    const nearestTrained = {
      whiteBalance: colourTemperatureBalance(3600, WAVELENGTHS),
      exposureMs: (d.exposureMs * DEFAULT_RANGES.whiteFraction[0]) / glassAtDefault,
    };
    const trained = (await snapField(nearestTrained)).frame;
    const ledField = (await snapField(led)).frame;
    const seen: Float32Array[] = [];
    const recorder: DefocusPredictor = {
      modelId: 'recorder',
      spec: {
        width: 224,
        height: 224,
        pixelSizeUm: 0.1725,
        channels: ['R', 'G', 'B'],
        mean: [0, 0, 0],
        std: [1, 1, 1],
      },
      predict: async ({ prepared, positions }) => {
        seen.push(packPatches(prepared, positions));
        return new Float32Array(positions.length);
      },
    };
    await estimateFrame(trained, recorder, { maxPatches: 4 });
    await estimateFrame(ledField, recorder, { maxPatches: 4 });
    await estimateFrame(ledField, recorder, { maxPatches: 4, whiteReference: reference });
    const meanAbs = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
    expect(seen.map((s) => s.length)).toEqual([seen[0].length, seen[0].length, seen[0].length]);
    const without = meanAbs(seen[0], seen[1]);
    const withGains = meanAbs(seen[0], seen[2]);
    expect(without).toBeGreaterThan(0.05); // a blue cast and a darker field
    expect(withGains).toBeLessThan(0.005); // 8-bit rounding twice (measured 0.079 and 0.0013)
  });
});

describe("takeWhiteReference: the operator's action on a camera looking at glass", () => {
  async function glassMicroscope(camera: { whiteBalance?: [number, number, number]; exposureMs?: number }) {
    return createVirtualMicroscope({
      setup: '20x',
      slidePath: await writeGlassSlide(tempDir('white-take')),
      roi: { width: 448, height: 448 },
      camera,
      timeScale: 0,
      seed: 4,
      renderThreads: 0,
    });
  }
  const top = (r: { glassRgb: number[] }) => Math.max(...r.glassRgb);

  it('sets the exposure that puts the glass at 80 % of full scale when it is dim', async () => {
    const vm = await glassMicroscope({ exposureMs: 2.5 }); // the glass at 14 %
    try {
      const taken = await takeWhiteReference(vm.camera);
      expect(taken.exposure?.fromMs).toBe(2.5);
      expect(taken.exposure!.toMs).toBeGreaterThan(12);
      expect(vm.camera.getExposureMs()).toBe(taken.exposure!.toMs);
      expect(taken.reference.exposureMs).toBe(taken.exposure!.toMs);
      expect(top(taken.reference)).toBeGreaterThan(0.74);
      expect(top(taken.reference)).toBeLessThan(0.86);
    } finally {
      await vm.dispose();
    }
  });

  it('steps down from clipped glass, then aims it; leaves a well-exposed one alone; keeps the exposure when told', async () => {
    const bright = await glassMicroscope({ exposureMs: 40 }); // the glass at 229 %: clipped
    try {
      const taken = await takeWhiteReference(bright.camera);
      expect(taken.exposure!.toMs).toBeLessThan(40 / 2);
      expect(top(taken.reference)).toBeGreaterThan(0.74);
      expect(top(taken.reference)).toBeLessThan(0.86);
    } finally {
      await bright.dispose();
    }
    const fine = await glassMicroscope({ exposureMs: 10 }); // 57 %
    const dim = await glassMicroscope({ exposureMs: 2.5 });
    try {
      expect((await takeWhiteReference(fine.camera)).exposure).toBeNull();
      const kept = await takeWhiteReference(dim.camera, false);
      expect(kept.exposure).toBeNull();
      expect(dim.camera.getExposureMs()).toBe(2.5);
      expect(kept.reference.glassRgb[1]).toBeLessThan(0.2);
    } finally {
      await fine.dispose();
      await dim.dispose();
    }
  });

  it('gives a camera that does not follow its exposure setting its exposure back, and the reference as measured', async () => {
    const vm = await glassMicroscope({ exposureMs: 2.5 });
    try {
      // as a folder of files the vendor software writes: the setting is recorded, the frames do not change
      let said = 2.5;
      const deaf: Camera = {
        ...vm.camera,
        open: () => vm.camera.open(),
        close: () => vm.camera.close(),
        isOpen: () => vm.camera.isOpen(),
        info: () => vm.camera.info(),
        snap: async () => ({ ...(await vm.camera.snap()), exposureMs: said }),
        getExposureMs: () => said,
        setExposureMs: async (ms: number) => {
          said = ms;
        },
      };
      const taken = await takeWhiteReference(deaf);
      expect(taken.exposure).toBeNull();
      expect(said).toBe(2.5);
      expect(taken.reference.exposureMs).toBe(2.5);
      expect(taken.reference.glassRgb[1]).toBeLessThan(0.2);
    } finally {
      await vm.dispose();
    }
  });
});
