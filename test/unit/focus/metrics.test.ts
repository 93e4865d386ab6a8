import { describe, expect, it } from 'vitest';
import { luminance } from '../../../src/main/focus/luminance';
import {
  brenner,
  laplacianVariance,
  normVariance,
  sharpness,
  sharpnessOf,
  tenengrad,
} from '../../../src/main/focus/metrics';
import { FakeMicroscope } from '../../helpers/fakeMicroscope';

const grey = (w: number, h: number, f: (x: number, y: number) => number) => {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { width: w, height: h, channels: 1 as const, bitDepth: 8 as const, data };
};

describe('luminance', () => {
  it('weights RGB with Rec. 601 and scales by the bit depth', () => {
    const rgb = { width: 1, height: 1, channels: 3 as const, bitDepth: 8 as const, data: new Uint8Array([255, 0, 0]) };
    expect(luminance(rgb).data[0]).toBeCloseTo(0.299, 6);
    const w16 = { width: 1, height: 1, channels: 1 as const, bitDepth: 12 as const, data: new Uint16Array([4095]) };
    expect(luminance(w16).data[0]).toBeCloseTo(1, 6);
  });

  it('subsamples with a step', () => {
    const img = grey(10, 7, (x, y) => x + 10 * y);
    const l = luminance(img, 3);
    expect([l.width, l.height]).toEqual([4, 3]);
    expect(l.data[1] * 255).toBeCloseTo(3, 4);
    expect(l.data[4] * 255).toBeCloseTo(30, 4);
  });
});

describe('metrics', () => {
  it('are zero on a flat image and known on simple patterns', () => {
    const flat = luminance(grey(16, 16, () => 100));
    for (const m of [normVariance, brenner, tenengrad, laplacianVariance]) expect(m(flat)).toBeCloseTo(0, 12);
    // Vertical stripes 0/255 every pixel: Brenner (distance 2) sees no horizontal change, only vertical rows equal too.
    const stripes = luminance(grey(16, 16, (x) => (x % 2 ? 255 : 0)));
    expect(brenner(stripes)).toBeCloseTo(0, 12);
    expect(normVariance(stripes)).toBeCloseTo(0.25 / 0.5, 6);
    // A ramp of slope 1 grey level per pixel: Sobel gx = 8 levels.
    const ramp = luminance(grey(16, 16, (x) => 10 * x));
    expect(tenengrad(ramp)).toBeCloseTo((80 / 255) ** 2, 6);
    expect(laplacianVariance(ramp)).toBeCloseTo(0, 9);
  });

  it('all peak at focus on the fake microscope and fall with |defocus|', () => {
    const m = new FakeMicroscope({ seed: 3, phase: 0, readNoise: 0.3, shotGain: 0.01 });
    const at = (d: number) =>
      sharpnessOf({ width: 160, height: 120, channels: 3, bitDepth: 8, data: m.render(d).data });
    const s0 = at(0);
    const s2 = at(2);
    const sm2 = at(-2);
    const s6 = at(6);
    for (const k of ['normVariance', 'brenner', 'tenengrad', 'laplacianVariance'] as const) {
      expect(s0[k]).toBeGreaterThan(s2[k]);
      expect(s0[k]).toBeGreaterThan(sm2[k]);
      expect(s2[k]).toBeGreaterThan(s6[k]);
    }
    expect(
      sharpness({ width: 160, height: 120, channels: 3, bitDepth: 8, data: m.render(0).data }, 'brenner'),
    ).toBeGreaterThan(0);
  });

  it('is fast enough for 5 MP frames (core code)', () => {
    const w = 2592;
    const h = 1944;
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    const img = { width: w, height: h, channels: 3 as const, bitDepth: 8 as const, data };
    sharpnessOf(img, 2);
    const t0 = performance.now();
    sharpnessOf(img, 1);
    const full = performance.now() - t0;
    // Four metrics on every pixel of a 5 MP RGB frame, one pass each.
    expect(full).toBeLessThan(3000); // ~300 ms measured here under a load average of 10
  });
});
