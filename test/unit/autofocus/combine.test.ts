import { describe, expect, it } from 'vitest';
import {
  combineMagnitudeAndSide,
  confidenceOf,
  median,
  minPatchesFor,
  regionMap,
  regionOf,
  robustSpread,
  selectPatches,
  trimmedMean,
} from '../../../src/main/autofocus/combine';

describe('robust combination', () => {
  it('median ignores a few wild patches where the mean does not', () => {
    const values = [2.1, 1.9, 2.0, 2.05, 1.95, 40, 30];
    expect(median(values)).toBeCloseTo(2.05, 6);
    // A 20 % trimmed mean drops one value per end of 7: enough for one outlier per side, not for two on one side.
    expect(trimmedMean([2.1, 1.9, 2.0, 2.05, 1.95, 40, -35], 0.2)).toBeCloseTo(2.0, 6);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.abs(mean - 2)).toBeGreaterThan(0.5);
  });

  it('median of an even count is the mean of the middle pair', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('robust spread is the standard deviation for Gaussian-like errors and ignores outliers', () => {
    // Evenly spaced quantiles of N(0, 1): the MAD estimate must come out near 1.
    const q = Array.from({ length: 199 }, (_, i) => {
      const p = (i + 1) / 200;
      // Acklam-free approximation: inverse error function via a rational fit is overkill; use a Box-Muller grid.
      return Math.sqrt(2) * inverseErf(2 * p - 1);
    });
    expect(robustSpread(q)).toBeCloseTo(1, 1);
    expect(robustSpread([...q, 1e6, -1e6])).toBeCloseTo(1, 1);
    expect(robustSpread([3])).toBe(0);
  });
});

describe('confidence', () => {
  const base = { n: 24, spreadUm: 0.1, defocusUm: 0, keptFraction: 0.8 };

  it('is high for many agreeing patches over a field full of content', () => {
    expect(confidenceOf(base)).toBeGreaterThan(0.9);
  });

  it('falls with the spread of the patch predictions', () => {
    const c1 = confidenceOf({ ...base, spreadUm: 0.3 });
    const c2 = confidenceOf({ ...base, spreadUm: 1 });
    const c3 = confidenceOf({ ...base, spreadUm: 3 });
    expect(c1).toBeGreaterThan(c2);
    expect(c2).toBeGreaterThan(c3);
    expect(c3).toBeLessThan(0.1);
  });

  it('tolerates more spread far from focus than near it', () => {
    expect(confidenceOf({ ...base, spreadUm: 1, defocusUm: 10 })).toBeGreaterThan(
      confidenceOf({ ...base, spreadUm: 1, defocusUm: 0 }),
    );
  });

  it('falls with fewer patches and with sparse content', () => {
    expect(confidenceOf({ ...base, n: 1 })).toBeLessThan(confidenceOf({ ...base, n: 9 }));
    expect(confidenceOf({ ...base, keptFraction: 0.05 })).toBeLessThan(confidenceOf({ ...base, keptFraction: 0.5 }));
  });

  it('is 0 without patches or with non-finite numbers, and stays within 0..1', () => {
    expect(confidenceOf({ ...base, n: 0 })).toBe(0);
    expect(confidenceOf({ ...base, spreadUm: NaN })).toBe(0);
    expect(confidenceOf({ ...base, keptFraction: 7 })).toBeLessThanOrEqual(1);
  });
});

describe('region map', () => {
  it('assigns tiles to the 3x3 regions by their centre', () => {
    expect(regionOf(10, 10, 300, 300)).toBe(0);
    expect(regionOf(150, 10, 300, 300)).toBe(1);
    expect(regionOf(290, 290, 300, 300)).toBe(8);
    expect(regionOf(300, 300, 300, 300)).toBe(8); // the far edge stays in the last region
    expect(regionOf(10, 150, 300, 300)).toBe(3);
  });

  it('gives the median per region and null where a region had no patch', () => {
    const map = regionMap([
      { region: 0, defocusUm: 1 },
      { region: 0, defocusUm: 3 },
      { region: 0, defocusUm: 2 },
      { region: 4, defocusUm: -0.5 },
      { region: 8, defocusUm: 7 },
    ]);
    expect(map).toEqual([
      [2, null, null],
      [null, -0.5, null],
      [null, null, 7],
    ]);
  });
});

describe('patch selection under a cap', () => {
  it('keeps everything when under the cap', () => {
    expect(
      selectPatches(
        [
          { index: 3, region: 0, score: 1 },
          { index: 1, region: 1, score: 2 },
        ],
        5,
      ),
    ).toEqual([1, 3]);
  });

  it('spreads the cap over the regions, best tiles first', () => {
    const candidates = [
      // region 0 has many excellent tiles, the others one each
      ...Array.from({ length: 10 }, (_, i) => ({ index: i, region: 0, score: 10 - i * 0.1 })),
      { index: 20, region: 4, score: 0.5 },
      { index: 30, region: 8, score: 0.2 },
    ];
    const chosen = selectPatches(candidates, 4);
    expect(chosen).toHaveLength(4);
    expect(chosen).toContain(20);
    expect(chosen).toContain(30);
    expect(chosen).toContain(0);
    expect(chosen).toContain(1);
  });

  it('asks for 3 usable tiles, or 1 on tiny frames', () => {
    expect(minPatchesFor(88)).toBe(3);
    expect(minPatchesFor(4)).toBe(1);
    expect(minPatchesFor(20)).toBe(2);
  });
});

/** Inverse error function (Giles' single-precision approximation), enough for quantiles. */
function inverseErf(x: number): number {
  let w = -Math.log((1 - x) * (1 + x));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    for (const c of [
      3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
      1.50140941,
    ])
      p = c + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    for (const c of [
      0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
      2.83297682,
    ])
      p = c + p * w;
  }
  return p * x;
}

describe('combining patches that guess the side', () => {
  it('takes the median magnitude on the side most patches name, and the spread of the magnitudes', () => {
    const r = combineMagnitudeAndSide([3.1, -2.9, 3.0, 3.2, -3.05]);
    expect(r.defocusUm).toBeCloseTo(3.05, 10);
    expect(r.spreadUm).toBeLessThan(0.2);
    // an even split: the signed median reads 0 um with a spread of 4.4 um; the magnitudes agree
    const even = [3, 3, -3, -3, 3, -3.1];
    expect(median(even)).toBe(0);
    expect(robustSpread(even)).toBeGreaterThan(4);
    expect(combineMagnitudeAndSide(even)).toEqual({ defocusUm: 3, spreadUm: 0 });
    expect(combineMagnitudeAndSide([-2, -2.2, 2.1]).defocusUm).toBeCloseTo(-2.1, 10);
    expect(combineMagnitudeAndSide([-2, 2]).defocusUm).toBe(2); // a tie: the side of the signed median (0 -> above)
  });
});
