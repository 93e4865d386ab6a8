import { describe, expect, it } from 'vitest';
import {
  depthOfFieldUm,
  OpticsConfigError,
  SETUP_PRESETS,
  samplePixelSizeUm,
  validateOpticalSetup,
  validateSimOptions,
} from '../../../src/shared/optics';
import { ImageFormation } from '../../../src/hardware/optics/render';
import { createVirtualMicroscope } from '../../../src/hardware/sim';
import { bumpSlide } from './synthetic';

describe('optical setups as data', () => {
  it('presets are valid and derive the pixel size at the sample', () => {
    expect(validateOpticalSetup(SETUP_PRESETS['20x'])).toEqual(SETUP_PRESETS['20x']);
    expect(samplePixelSizeUm(SETUP_PRESETS['20x'])).toBeCloseTo(0.1725, 6);
    expect(samplePixelSizeUm(SETUP_PRESETS['40x'])).toBeCloseTo(0.055, 6);
    expect(SETUP_PRESETS['40x'].sensorWidthPx * SETUP_PRESETS['40x'].sensorHeightPx).toBeGreaterThan(5e6);
  });

  it('depth of field = lambda n / NA^2 + n e / (M NA)', () => {
    const s = SETUP_PRESETS['20x'];
    expect(depthOfFieldUm(s, 0.54)).toBeCloseTo(0.54 / 0.5625 + 3.45 / 15, 9);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['NaN NA', { na: NaN }, /NA/],
    ['infinite magnification', { magnification: Infinity }, /magnification/],
    ['NA above the immersion index', { na: 1.2 }, /cannot exceed the immersion index/],
    ['sigma above 1', { condenserSigma: 1.5 }, /sigma/],
    ['negative sigma', { condenserSigma: -0.1 }, /sigma/],
    ['negative pixel pitch', { pixelPitchUm: -3.45 }, /pixel pitch/],
    ['zero pixel pitch', { pixelPitchUm: 0 }, /pixel pitch/],
    ['bit depth 10', { bitDepth: 10 }, /bitDepth/],
    ['non-integer sensor width', { sensorWidthPx: 100.5 }, /sensor width/],
    ['wavelength in nm', { wavelengthsUm: { r: 610, g: 540, b: 465 } }, /wavelength/],
  ];
  for (const [what, patch, msg] of bad) {
    it(`rejects ${what} with one clear message`, () => {
      let err: unknown;
      try {
        validateOpticalSetup({ ...SETUP_PRESETS['20x'], ...patch });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OpticsConfigError);
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message.split('\n')).toHaveLength(1);
    });
  }

  it('rejects bad optics before any rendering (no slide is even opened)', async () => {
    const slide = bumpSlide(64, 0.17, 1);
    await expect(
      createVirtualMicroscope({ setup: { ...SETUP_PRESETS['20x'], na: NaN }, slidePath: '/nonexistent.png' }),
    ).rejects.toThrow(OpticsConfigError);
    await expect(createVirtualMicroscope({ timeScale: -1 })).rejects.toThrow(/time scale/);
    expect(() => validateSimOptions({ zLimits: { minUm: 5, maxUm: -5 } })).toThrow(/lower limit/);
    // the renderer itself refuses non-finite positions
    const f = await ImageFormation.create(
      slide,
      { ...SETUP_PRESETS['20x'], colour: false },
      { absorptionScale: 1, phaseScaleRad: 0 },
      { width: 32, height: 32 },
    );
    expect(() => f.render(NaN, 0, 0)).toThrow(/finite/);
    f.dispose();
  });
});
