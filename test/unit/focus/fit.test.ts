import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitFocusCurve, normaliseCurve, peakWindow, quadFit } from '../../../src/main/focus/fit';
import { countPeaks, labelFocusCurve } from '../../../src/main/focus/label';

const curve = (f: (z: number) => number, from = -10, to = 10, step = 0.5) =>
  Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => from + i * step).map((z) => ({
    z,
    sharpness: f(z),
  }));

describe('quadFit', () => {
  it('recovers an exact quadratic around any centre', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.double({ min: -3, max: -0.1, noNaN: true }),
        (b, c) => {
          const zs = [-1, -0.5, 0, 0.5, 1, 1.5];
          const ys = zs.map((z) => 2 + b * z + c * z * z);
          const r = quadFit(zs, ys, null, 0)!;
          expect(r[0]).toBeCloseTo(2, 6);
          expect(r[1]).toBeCloseTo(b, 6);
          expect(r[2]).toBeCloseTo(c, 6);
        },
      ),
    );
  });
});

describe('fitFocusCurve', () => {
  it('refines between planes: a Gaussian peak anywhere between steps is found to < 0.02 um', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 0.8, max: 3, noNaN: true }),
        (z0, w) => {
          const c = curve((z) => 0.1 + Math.exp(-((z - z0) ** 2) / (2 * w * w)));
          const g = fitFocusCurve(c, 'gaussian');
          expect(Math.abs(g.zFocusUm! - z0)).toBeLessThan(0.02);
          expect(Math.abs(fitFocusCurve(c, 'parabola').zFocusUm! - z0)).toBeLessThan(0.1);
          expect(Math.abs(fitFocusCurve(c, 'lowess').zFocusUm! - z0)).toBeLessThan(0.1);
          expect(Math.abs(fitFocusCurve(c, 'argmax').zFocusUm! - z0)).toBeLessThanOrEqual(0.25 + 1e-9);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('handles unsorted input, repeated z and tiny curves', () => {
    expect(
      normaliseCurve([
        { z: 1, sharpness: 2 },
        { z: 0, sharpness: 1 },
        { z: 1, sharpness: 4 },
      ]),
    ).toEqual([
      { z: 0, sharpness: 1 },
      { z: 1, sharpness: 3 },
    ]);
    expect(fitFocusCurve([], 'gaussian').zFocusUm).toBeNull();
    expect(fitFocusCurve([{ z: 2, sharpness: 1 }], 'gaussian').zFocusUm).toBe(2);
  });

  it('takes the half-height region around the peak as its window', () => {
    const c = curve((z) => Math.exp(-(z * z) / 2));
    const [lo, hi] = peakWindow(c, 20);
    expect([c[lo].z, c[hi].z]).toEqual([-1, 1]);
  });
});

describe('QC', () => {
  it('passes a clean single peak', () => {
    const l = labelFocusCurve(curve((z) => 1 + 5 * Math.exp(-((z - 0.3) ** 2) / 2)));
    expect(l.qc).toBe('pass');
    expect(l.flags).toEqual([]);
    expect(l.nPeaks).toBe(1);
    expect(l.contrast).toBeGreaterThan(5);
  });

  it('fails a peak at the end of the range (focus probably outside it)', () => {
    const l = labelFocusCurve(curve((z) => 1 + 5 * Math.exp(-((z - 12) ** 2) / 8)));
    expect(l.flags).toContain('peak-at-edge');
    expect(l.qc).toBe('fail');
  });

  it('fails a flat curve (no contrast) and too few planes', () => {
    expect(labelFocusCurve(curve((z) => 1 + 0.01 * Math.exp(-(z * z)))).flags).toContain('low-contrast');
    expect(labelFocusCurve(curve((z) => 1 + Math.exp(-(z * z)), -1, 0.5)).flags).toContain('too-few-planes');
  });

  it('warns on two peaks', () => {
    const l = labelFocusCurve(curve((z) => 1 + 5 * Math.exp(-((z + 4) ** 2) / 2) + 4 * Math.exp(-((z - 4) ** 2) / 2)));
    expect(l.flags).toContain('multiple-peaks');
    expect(l.qc).toBe('warn');
    expect(
      countPeaks(
        curve((z) => Math.exp(-(z * z))),
        0.25,
      ),
    ).toBe(1);
  });
});
