import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitUnits, testCount } from '../../../src/main/dataset/export/split';
import { csvLine } from '../../../src/main/dataset/export/csv';
import { patchGrid } from '../../../src/main/dataset/export/patches';

describe('splitUnits', () => {
  it('is 9:1, deterministic, order-independent, and every unit is on exactly one side', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 1e6 }), { minLength: 2, maxLength: 200 }),
        fc.nat(),
        (units, seed) => {
          const a = splitUnits(units, seed);
          const b = splitUnits([...units].reverse(), seed);
          expect([...a].sort()).toEqual([...b].sort());
          const test = [...a.values()].filter((s) => s === 'test').length;
          expect(test).toBe(testCount(units.length));
          expect(a.size).toBe(units.length);
        },
      ),
    );
    expect(testCount(1)).toBe(0);
    expect(testCount(2)).toBe(1);
    expect(testCount(20)).toBe(2);
    expect(testCount(95)).toBe(10);
  });

  it('changes with the seed', () => {
    const units = Array.from({ length: 50 }, (_, i) => i + 1);
    const t = (seed: number) =>
      [...splitUnits(units, seed)]
        .filter(([, s]) => s === 'test')
        .map(([u]) => u)
        .sort();
    expect(t(1)).toEqual(t(1));
    expect(t(1)).not.toEqual(t(2));
  });
});

describe('csv and patches', () => {
  it('quotes only what needs quoting', () => {
    expect(csvLine(['a', 1.5, null, 'x,y', 'q"'])).toBe('a,1.5,,"x,y","q"""\n');
  });

  it('tiles 224 patches that fit in the frame', () => {
    expect(patchGrid(2592, 1944).length).toBe(11 * 8);
    expect(patchGrid(672, 448)).toEqual([
      { x: 0, y: 0 },
      { x: 224, y: 0 },
      { x: 448, y: 0 },
      { x: 0, y: 224 },
      { x: 224, y: 224 },
      { x: 448, y: 224 },
    ]);
    expect(patchGrid(448, 448, 224, 112)).toHaveLength(9);
    expect(patchGrid(100, 100)).toEqual([]);
  });
});
