/** The pieces of synthetic generation and of the engine's store path that need no microscope. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bestFocusShiftUm, PARTIAL_COHERENCE_FACTOR } from '../../../src/main/acquisition/bestFocus';
import { planeSharpness } from '../../../src/main/acquisition/sharpness-pool';
import { resolveSimSlides, sampleKindOf } from '../../../src/main/acquisition/simSlides';
import { DatasetError } from '../../../src/main/dataset/errors';
import { sharpnessOf } from '../../../src/main/focus/metrics';
import { tempDir } from '../../helpers/datasetFixtures';
import { mulberry32 } from '../../helpers/fakeMicroscope';

function slideFolder(names: string[]): string {
  const dir = tempDir('slides');
  for (const n of names) fs.writeFileSync(path.join(dir, n), 'x');
  return dir;
}

describe('slide selection for --sim', () => {
  it('takes every image of a folder, narrowed by a list file and minus --exclude', () => {
    const dir = slideFolder(['b.png', 'a.png', 'c.jpg', 'notes.txt', 'BF_cells_unstained.png']);
    expect(resolveSimSlides({ slides: dir }).map((s) => s.name)).toEqual(['BF_cells_unstained', 'a', 'b', 'c']);
    expect(resolveSimSlides({ slides: dir, exclude: ['a', 'c.jpg'] }).map((s) => s.name)).toEqual([
      'BF_cells_unstained',
      'b',
    ]);
    const list = path.join(dir, 'list.txt');
    fs.writeFileSync(list, '# held-in slides\nb\n c.jpg \n\n');
    expect(resolveSimSlides({ slides: dir, slidesList: list }).map((s) => s.name)).toEqual(['b', 'c']);
    expect(sampleKindOf({ name: 'BF_cells_unstained', path: '' })).toBe('unstained');
    expect(sampleKindOf({ name: 'HE_L1', path: '' })).toBe('stained');
  });

  it('refuses unknown exclusions, missing list entries and an empty selection with a clear message', () => {
    const dir = slideFolder(['a.png']);
    expect(() => resolveSimSlides({ slides: dir, exclude: ['zz'] })).toThrow(
      /--exclude names slides that are not in the selection: zz/,
    );
    expect(() => resolveSimSlides({ slides: dir, exclude: ['a'] })).toThrow(/no slide image left/);
    const list = path.join(dir, 'list.txt');
    fs.writeFileSync(list, 'missing\n');
    expect(() => resolveSimSlides({ slides: dir, slidesList: list })).toThrow(DatasetError);
    expect(() => resolveSimSlides({ slides: path.join(dir, 'nope') })).toThrow(/does not exist/);
  });
});

describe('best focus under spherical aberration', () => {
  const o = { na: 0.75, immersionIndex: 1, wavelengthUm: 0.54 };
  it('is the paraxial focus without aberration, shifts with the sign of W040 and linearly in it', () => {
    expect(bestFocusShiftUm({ ...o, sphericalAberrationWaves: 0 })).toBe(0);
    const plus = bestFocusShiftUm({ ...o, sphericalAberrationWaves: 0.25 });
    const minus = bestFocusShiftUm({ ...o, sphericalAberrationWaves: -0.25 });
    expect(plus).toBeGreaterThan(0);
    expect(minus).toBeCloseTo(-plus, 12);
    expect(bestFocusShiftUm({ ...o, sphericalAberrationWaves: 0.125 })).toBeCloseTo(plus / 2, 12);
    expect(PARTIAL_COHERENCE_FACTOR).toBeLessThan(1);
    // Measured on the virtual microscope (NA 0.7377, W040 +0.25 waves, phase and SA the only changes): label -
    // paraxial focus = +0.379 um.
    expect(bestFocusShiftUm({ ...o, na: 0.737672, sphericalAberrationWaves: 0.25 })).toBeCloseTo(0.379, 1);
    expect(Math.abs(bestFocusShiftUm({ ...o, na: 0.737672, sphericalAberrationWaves: 0.25 }) - 0.379)).toBeLessThan(
      0.02,
    );
  });
});

describe('plane sharpness off the event loop', () => {
  it('gives exactly what sharpnessOf gives, on the worker (big frames) and in this thread (small ones)', async () => {
    const rnd = mulberry32(3);
    const big = {
      width: 1200,
      height: 1000,
      channels: 3 as const,
      bitDepth: 8 as const,
      data: new Uint8Array(1200 * 1000 * 3),
    };
    for (let i = 0; i < big.data.length; i++) big.data[i] = Math.floor(rnd() * 256);
    const small = { ...big, width: 120, height: 100, data: big.data.subarray(0, 120 * 100 * 3) };
    expect(await planeSharpness(big)).toEqual(sharpnessOf(big, 1));
    expect(await planeSharpness(small)).toEqual(sharpnessOf(small, 1));
    const planes = await Promise.all([1, 2, 3].map(() => planeSharpness(big)));
    for (const p of planes) expect(p).toEqual(sharpnessOf(big, 1));
  });
});
