/** Camera model statistics and tilt. */
import { describe, expect, it } from 'vitest';
import { SETUP_PRESETS } from '../../../src/shared/optics';
import { digitise, resolveCameraModel } from '../../../src/hardware/optics/camera-model';
import { renderIntensity } from '../../../src/hardware/optics/frame';
import { normalisedVariance } from '../../../src/hardware/optics/metrics';
import { ImageFormation } from '../../../src/hardware/optics/render';

import { Slide } from '../../../src/hardware/optics/slide';
import { DEFAULT_SLIDE_PATH } from '../../../src/hardware/optics/default-slide';

function flat(w: number, h: number, v: number) {
  return { width: w, height: h, planes: [new Float32Array(w * h).fill(v)], pixelSizeUm: 0.2 };
}

function stats(d: ArrayLike<number>) {
  let m = 0;
  for (let i = 0; i < d.length; i++) m += d[i];
  m /= d.length;
  let v = 0;
  for (let i = 0; i < d.length; i++) v += (d[i] - m) ** 2;
  return { mean: m, variance: v / d.length };
}

describe('camera model', () => {
  it('shot noise is Poisson (variance = mean in electrons) plus read noise, in linear 16-bit', () => {
    const cam = resolveCameraModel({
      exposureMs: 1,
      electronsPerMsAtWhite: 400,
      fullWellE: 65535,
      readNoiseE: 3,
      vignetting: 0,
      outputEncoding: 'linear',
    });
    const img = digitise(flat(256, 256, 0.5), cam, 16, 1);
    const s = stats(img.data); // 1 DN = 1 e- here
    expect(s.mean).toBeCloseTo(200, 0);
    expect(s.variance).toBeGreaterThan(0.9 * (200 + 9));
    expect(s.variance).toBeLessThan(1.1 * (200 + 9));
    // small signals use the exact Poisson path
    const low = stats(digitise(flat(256, 256, 0.01), { ...cam, readNoiseE: 0 }, 16, 2).data);
    expect(low.mean).toBeCloseTo(4, 0);
    expect(low.variance).toBeCloseTo(4, 0);
  });

  it('quantises to the bit depth, saturates at full well, deterministic per seed', () => {
    const cam = resolveCameraModel({
      vignetting: 0,
      outputEncoding: 'linear',
      electronsPerMsAtWhite: 5000,
      exposureMs: 10,
    });
    const sat = digitise(flat(32, 32, 1), cam, 12, 1);
    expect(sat.data).toBeInstanceOf(Uint16Array);
    expect(Math.max(...sat.data)).toBe(4095);
    const a = digitise(flat(32, 32, 0.3), resolveCameraModel({}), 8, 9);
    const b = digitise(flat(32, 32, 0.3), resolveCameraModel({}), 8, 9);
    const c = digitise(flat(32, 32, 0.3), resolveCameraModel({}), 8, 10);
    expect(a.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(Buffer.from(a.data), Buffer.from(b.data))).toBe(0);
    expect(Buffer.compare(Buffer.from(a.data), Buffer.from(c.data))).not.toBe(0);
  });

  it('vignetting darkens the corners by the set fraction', () => {
    const cam = resolveCameraModel({
      vignetting: 0.3,
      shotNoise: false,
      readNoiseE: 0,
      outputEncoding: 'linear',
      fullWellE: 65535,
      electronsPerMsAtWhite: 3000,
    });
    const img = digitise(flat(101, 101, 1), cam, 16, 1);
    const centre = img.data[50 * 101 + 50];
    expect(img.data[0] / centre).toBeCloseTo(0.7, 2);
  });

  it('slide tilt: defocus varies across the field (sharp on one side, blurred on the other)', async () => {
    const slide = await Slide.load(DEFAULT_SLIDE_PATH);
    const f = await ImageFormation.create(
      slide,
      { ...SETUP_PRESETS['20x'], colour: false },
      { absorptionScale: 1, phaseScaleRad: 0.3 },
      { width: 256, height: 64 },
    );
    // 256 px * 0.1725 um = 44 um wide; 200 um/mm -> d from -4.4 (left) to +4.4 (right) around d = 4.4 at the centre
    const img = renderIntensity(f, { defocusUm: 4.4, xUm: 0, yUm: 0, tilt: { xUmPerMm: 200, yUmPerMm: 0 } }).planes[0];
    const flatImg = f.render(4.4, 0, 0).planes[0];
    const half = (p: Float32Array, left: boolean) => {
      const out: number[] = [];
      for (let y = 0; y < 64; y++) for (let x = left ? 0 : 128; x < (left ? 128 : 256); x++) out.push(p[y * 256 + x]);
      return normalisedVariance(out);
    };
    expect(half(img, true)).toBeGreaterThan(1.5 * half(img, false));
    // without tilt both halves are equally blurred, relative to their content
    expect(half(img, true) / half(flatImg, true)).toBeGreaterThan(1.5);
    f.dispose();
  });
});
