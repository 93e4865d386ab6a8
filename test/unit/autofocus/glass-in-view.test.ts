/**
 * The glass between the sample in a frame, and the hint to take a white reference when its colour or level lies
 * outside what the models were trained on (src/main/autofocus/glass-in-view.ts).
 */
import { describe, expect, it } from 'vitest';
import { srgbEncode } from '../../../src/hardware/optics/camera-model';
import { colourTemperatureBalance } from '../../../src/hardware/optics/randomize';
import type { ContentVerdict, PatchContent } from '../../../src/main/autofocus/content';
import { estimateFrame, type DefocusPredictor } from '../../../src/main/autofocus/estimate';
import {
  glassHint,
  glassInView,
  GLASS_HINT_GAIN,
  referenceFromGlass,
  referenceFromSighting,
} from '../../../src/main/autofocus/glass-in-view';
import type { Raster } from '../../../src/main/inference/resample';
import { SETUP_PRESETS } from '../../../src/shared/optics';
import { tempDir } from '../../helpers/datasetFixtures';
import { writeHalfGlassSlide } from '../../helpers/glassSlide';
import { snapSimField } from '../../helpers/simField';

const TILE = 224;
const srgb8 = (linear: number) => Math.round(srgbEncode(linear) * 255);

/** A row of tiles: each either glass of a linear colour, or sample of a mean level (its pixels do not matter here). */
function row(tiles: Array<{ glass: [number, number, number] } | { sample: number }>) {
  const width = TILE * tiles.length;
  const data = new Uint8Array(width * TILE * 3);
  const content: PatchContent[] = [];
  const verdicts: ContentVerdict[] = [];
  tiles.forEach((t, k) => {
    const rgb = 'glass' in t ? t.glass.map(srgb8) : [0, 1, 2].map(() => srgb8(t.sample));
    for (let y = 0; y < TILE; y++)
      for (let x = k * TILE; x < (k + 1) * TILE; x++)
        for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = rgb[c];
    const mean = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255;
    content.push({ mean, contrast: 'glass' in t ? 0.001 : 0.2, structure: 0.6, saturated: 0 });
    verdicts.push('glass' in t ? 'blank' : 'content');
  });
  const image: Raster = { width, height: TILE, channels: 3, data };
  const positions = tiles.map((_, k) => ({ x: k * TILE, y: 0 }));
  return glassInView(image, 255, positions, TILE, TILE, content, verdicts);
}

describe('glassInView', () => {
  it('reads the linear colour of the blank tiles brighter than the sample; glass within the trained range needs no gains', () => {
    // 3200 K against a 3200 K balance: neutral glass at 70 % of full well, within the trained 45-90 %.
    const g = row([{ sample: 0.3 }, { glass: [0.7, 0.7, 0.7] }, { sample: 0.4 }, { glass: [0.7, 0.7, 0.7] }]);
    expect(g).not.toBeNull();
    expect(g!.tiles).toBe(2);
    for (const v of g!.rgb) expect(v).toBeCloseTo(0.7, 2);
    for (const v of g!.gains) expect(Math.abs(v - 1)).toBeLessThan(0.05);
    expect(glassHint(g!)).toBeNull();
  });

  it('no glass without sample in the frame, with fewer than two glass tiles, or when the blank tiles are darker than the sample', () => {
    // A frame blank all over may be tissue far out of focus, coloured by its stain.
    expect(row([{ glass: [0.5, 0.3, 0.4] }, { glass: [0.5, 0.3, 0.4] }])).toBeNull();
    expect(row([{ sample: 0.3 }, { glass: [0.7, 0.7, 0.7] }])).toBeNull();
    // Blank but darker than the sample: pale or defocused sample, not glass.
    expect(row([{ sample: 0.6 }, { sample: 0.65 }, { glass: [0.3, 0.2, 0.3] }, { glass: [0.3, 0.2, 0.3] }])).toBeNull();
  });

  it('blank tiles coloured as no lamp colours glass are stained sample: eosin out of focus', () => {
    // Green below red and blue (magenta): measured on a 40x frame 9.6 um out of focus.
    expect(row([{ sample: 0.1 }, { glass: [0.34, 0.12, 0.18] }, { glass: [0.34, 0.12, 0.18] }])).toBeNull();
    // A lamp's colours keep green between red and blue: an LED's bluish glass and a halogen lamp's yellowish one.
    expect(row([{ sample: 0.1 }, { glass: [0.3, 0.4, 0.6] }, { glass: [0.3, 0.4, 0.6] }])).not.toBeNull();
    expect(row([{ sample: 0.1 }, { glass: [0.6, 0.45, 0.25] }, { glass: [0.6, 0.45, 0.25] }])).not.toBeNull();
  });

  it('glass that clips or is dark says nothing of the colour', () => {
    expect(row([{ sample: 0.3 }, { glass: [0.99, 0.99, 0.99] }, { glass: [0.99, 0.99, 0.99] }])).toBeNull();
    expect(row([{ sample: 0.01 }, { glass: [0.02, 0.02, 0.02] }, { glass: [0.02, 0.02, 0.02] }])).toBeNull();
  });
});

describe('referenceFromGlass (predict --white-reference auto)', () => {
  it('the median glass colour per channel over the images, at an unknown exposure; none without glass', () => {
    const g = (rgb: [number, number, number]) => ({ rgb, tiles: 3, gains: [1, 1, 1] as [number, number, number] });
    // One image's "glass" far off (a stained patch that passed) does not move the median.
    const ref = referenceFromGlass([g([0.2, 0.3, 0.5]), g([0.22, 0.3, 0.52]), g([0.6, 0.2, 0.3])]);
    expect(ref).toMatchObject({ glassRgb: [0.22, 0.3, 0.5], exposureMs: 0, camera: 'glass in view' });
    expect(referenceFromGlass([g([0.2, 0.3, 0.5]), g([0.3, 0.4, 0.6])])!.glassRgb).toEqual([0.25, 0.35, 0.55]);
    expect(referenceFromGlass([])).toBeNull();
  });
});

describe('referenceFromSighting (the app: "Use the glass in view")', () => {
  const g = (rgb: [number, number, number]) => ({ rgb, tiles: 3, gains: [1, 1, 1] as [number, number, number] });
  it("the median of a run's glass, at the exposure it was seen at, for the camera that saw it", () => {
    const sighting = { glass: [g([0.2, 0.3, 0.5]), g([0.3, 0.4, 0.6])], exposureMs: 7, camera: 'sim: virtual' };
    expect(referenceFromSighting(sighting, 'sim: virtual', new Date('2026-11-27T15:00:00Z'))).toEqual({
      glassRgb: [0.25, 0.35, 0.55],
      exposureMs: 7,
      takenAt: '2026-11-27T15:00:00.000Z',
      camera: 'sim: virtual',
      source: 'glass in view',
    });
  });
  it('refuses, saying what to do, when no glass was seen or another camera saw it', () => {
    expect(() => referenceFromSighting(null, 'sim: virtual')).toThrow(/No glass seen near focus yet/);
    const other = { glass: [g([0.2, 0.3, 0.5])], exposureMs: 7, camera: 'ffmpeg: usb' };
    expect(() => referenceFromSighting(other, 'sim: virtual')).toThrow(
      /seen with another camera \(ffmpeg: usb\).*blank glass/,
    );
  });
});

describe('glassHint', () => {
  const glass = (gains: [number, number, number]) => ({
    rgb: [0.5, 0.5, 0.5] as [number, number, number],
    tiles: 4,
    gains,
  });

  it('says nothing while every gain is within GLASS_HINT_GAIN of 1', () => {
    expect(glassHint(glass([1 + GLASS_HINT_GAIN * 0.9, 1, 1 - GLASS_HINT_GAIN * 0.9]))).toBeNull();
  });

  it('names what is off: dimmer, brighter, bluer, yellower, redder', () => {
    expect(glassHint(glass([2, 2, 2]))).toMatch(/glass in view is dimmer than/);
    expect(glassHint(glass([0.5, 0.5, 0.5]))).toMatch(/is brighter than/);
    expect(glassHint(glass([1.5, 1, 0.6]))).toMatch(/is bluer than/);
    expect(glassHint(glass([1, 1, 1.5]))).toMatch(/is yellower than/);
    expect(glassHint(glass([0.6, 1, 1]))).toMatch(/is redder than/);
    expect(glassHint(glass([3, 2, 1.2]))).toMatch(/dimmer and bluer/);
    expect(glassHint(glass([2, 2, 2]))).toMatch(/white reference of blank glass/);
  });
});

describe('the hint on the virtual microscope', () => {
  const WAVELENGTHS = SETUP_PRESETS['20x'].wavelengthsUm;

  /** A model that reads 0 everywhere: these tests look at the glass, not the reading. */
  const reading = (d: number): DefocusPredictor => ({
    modelId: `reads-${d}`,
    spec: { width: 224, height: 224, pixelSizeUm: 0.1725, channels: ['R', 'G', 'B'], mean: [0, 0, 0], std: [1, 1, 1] },
    predict: async ({ positions }) => new Float32Array(positions.length).fill(d),
  });
  const ZERO = reading(0);

  async function estimateWith(camera: { whiteBalance?: [number, number, number]; exposureMs?: number }) {
    const { frame } = await snapSimField(camera, {
      slidePath: await writeHalfGlassSlide(tempDir('glass-in-view')),
      width: 896,
      height: 448,
    });
    const estimate = await estimateFrame(frame, ZERO, { maxPatches: 4 });
    // The glass it saw, taken as the operator's white reference for the same frame.
    const whiteReference = estimate.glass
      ? { glassRgb: estimate.glass.rgb, exposureMs: 0, takenAt: new Date().toISOString(), camera: 'sim: virtual' }
      : null;
    const balanced = await estimateFrame(frame, ZERO, { maxPatches: 4, whiteReference });
    // Read far from focus, where stained sample blurs into blank tiles, the frame's glass is not looked at.
    const far = await estimateFrame(frame, reading(6), { maxPatches: 4 });
    return { estimate, balanced, far };
  }

  it('the camera as the models were trained: glass seen, no hint', async () => {
    const { estimate: e } = await estimateWith({});
    expect(e.glass).toBeTruthy();
    expect(e.glass!.tiles).toBeGreaterThanOrEqual(2);
    for (const g of e.glass!.gains) expect(Math.abs(g - 1)).toBeLessThanOrEqual(GLASS_HINT_GAIN);
    expect(e.hint).toBeUndefined();
  });

  it('a white LED without white balance at half the exposure: the hint says bluer and dimmer', async () => {
    const led = { whiteBalance: colourTemperatureBalance(6500, WAVELENGTHS), exposureMs: 5 };
    const { estimate: e, balanced, far } = await estimateWith(led);
    expect(e.glass).toBeTruthy();
    expect(e.glass!.rgb[2]).toBeGreaterThan(e.glass!.rgb[0]); // blue over red
    expect(e.hint).toMatch(/dimmer and bluer/);
    // With a white reference applied the hint is moot: the glass is not looked for.
    expect(balanced.glass).toBeUndefined();
    expect(balanced.hint).toBeUndefined();
    expect(far.glass).toBeUndefined();
    expect(far.hint).toBeUndefined();
  });
});
