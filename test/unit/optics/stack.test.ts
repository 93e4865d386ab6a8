/** Sharpness over a defocus stack of a real slide, depth of field, and the simulateStack writer. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SETUP_PRESETS, depthOfFieldUm } from '../../../src/shared/optics';
import { DEFAULT_SLIDE_PATH } from '../../../src/hardware/optics/default-slide';
import { normalisedVariance } from '../../../src/hardware/optics/metrics';
import { parseRange } from '../../../src/hardware/optics/range';
import { ImageFormation } from '../../../src/hardware/optics/render';
import { Slide } from '../../../src/hardware/optics/slide';
import { simulateStack } from '../../../src/hardware/optics/stack';

describe('sharpness over a stack of a real slide (20X/0.75, H&E)', () => {
  it('normalised variance peaks within one step of d = 0, falls monotonically over 5 um each side; half-max width ~ DOF', async () => {
    const slide = await Slide.load(DEFAULT_SLIDE_PATH);
    const setup = SETUP_PRESETS['20x'];
    const f = await ImageFormation.create(
      slide,
      setup,
      { absorptionScale: 1, phaseScaleRad: 0.3 },
      { width: 192, height: 192, marginDefocusUm: 10 },
    );
    const ds = parseRange('-8:8:0.25');
    // luminance-like sharpness on the green channel, noise-free intensity
    const nv = ds.map((d) => normalisedVariance(f.render(d, 10, -15).planes[1]));
    const peak = nv.indexOf(Math.max(...nv));
    expect(Math.abs(ds[peak])).toBeLessThanOrEqual(0.5);
    const at = (d: number) => nv[ds.findIndex((v) => Math.abs(v - d) < 1e-9)];
    for (let d = 0.5; d <= 5 + 1e-9; d += 0.5) {
      expect(at(d)).toBeLessThan(at(d - 0.5));
      expect(at(-d)).toBeLessThan(at(-d + 0.5));
    }
    // width of the region where NV - NV_far stays above half of its peak (background-subtracted half maximum)
    const floor = Math.min(...nv);
    const half = floor + (nv[peak] - floor) / 2;
    let lo = peak;
    let hi = peak;
    while (lo > 0 && nv[lo - 1] >= half) lo--;
    while (hi < nv.length - 1 && nv[hi + 1] >= half) hi++;
    const interp = (i: number, j: number) => ds[i] + ((ds[j] - ds[i]) * (nv[i] - half)) / (nv[i] - nv[j]);
    const measured = interp(hi, Math.min(nv.length - 1, hi + 1)) - interp(lo, Math.max(0, lo - 1));
    const formula = depthOfFieldUm(setup);
    const out = {
      setup: setup.id,
      wavelengthUm: setup.wavelengthsUm.g,
      dofFormulaUm: formula,
      halfMaxWidthUm: measured,
      ratio: measured / formula,
      peakDefocusUm: ds[peak],
      curve: ds.map((d, i) => ({ d, nv: nv[i] })),
    };
    console.log(
      `DOF 20X/0.75: formula lambda n/NA^2 + n e/(M NA) = ${formula.toFixed(2)} um; measured half-max width of NV = ${measured.toFixed(2)} um (ratio ${(measured / formula).toFixed(2)})`,
    );
    await mkdir('test-output/optics', { recursive: true });
    await writeFile('test-output/optics/dof.json', JSON.stringify(out, null, 2));
    expect(measured / formula).toBeGreaterThan(0.3);
    expect(measured / formula).toBeLessThan(10);
    // the two sides differ (the phase term is odd in z): the curve is not a mirror image
    let asym = 0;
    for (let i = 1; i <= 12; i++) asym += Math.abs(at(i * 0.5) - at(-i * 0.5));
    expect(asym).toBeGreaterThan(0);
    f.dispose();
  });
});

describe('simulateStack', () => {
  it('writes one 8-bit RGB PNG per plane and stack.csv (file,defocus_um,pixel_size_um), deterministic per seed, same bytes on worker threads and on the calling thread', async () => {
    const dir = path.join(os.tmpdir(), `fs-stack-${process.pid}-${Date.now()}`);
    const progress: number[] = [];
    const res = await simulateStack({
      setup: '40x',
      rangeUm: parseRange('-1:1:1'),
      seed: 3,
      xUm: 5,
      yUm: -5,
      outDir: dir,
      width: 160,
      height: 120,
      onProgress: (d) => progress.push(d),
    });
    expect(progress).toEqual([1, 2, 3]);
    const csv = (await readFile(res.csvPath, 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('file,defocus_um,pixel_size_um');
    expect(csv).toHaveLength(4);
    const [file, d, px] = csv[1].split(',');
    expect(Number(d)).toBe(-1);
    expect(Number(px)).toBeCloseTo(0.055, 9);
    const meta = await sharp(path.join(dir, file)).metadata();
    expect([meta.width, meta.height, meta.channels, meta.depth]).toEqual([160, 120, 3, 'uchar']);
    const again = await simulateStack({
      setup: '40x',
      rangeUm: { start: -1, stop: -1, step: 1 },
      seed: 3,
      xUm: 5,
      yUm: -5,
      outDir: `${dir}-b`,
      width: 160,
      height: 120,
      threads: 0,
    });
    const a = await readFile(path.join(dir, file));
    const b = await readFile(path.join(`${dir}-b`, again.planes[0].file));
    expect(Buffer.compare(a, b)).toBe(0);
    const sixteen = await simulateStack({
      setup: '20x',
      rangeUm: [0],
      outDir: `${dir}-16`,
      width: 64,
      height: 48,
      bitDepth: 16,
      threads: 0,
    });
    expect((await sharp(path.join(`${dir}-16`, sixteen.planes[0].file)).metadata()).depth).toBe('ushort');
  });

  it('parseRange: inclusive stop, clear errors', () => {
    expect(parseRange('-10:10:0.5')).toHaveLength(41);
    expect(parseRange('-10:10:0.5')[40]).toBe(10);
    expect(parseRange('2:-2:-1')).toEqual([2, 1, 0, -1, -2]);
    expect(parseRange('1.5')).toEqual([1.5]);
    for (const bad of ['', '1:2', 'a:b:c', '0:10:0', '0:10:-1', '0:1e9:0.001', '0:NaN:1'])
      expect(() => parseRange(bad)).toThrow(/Invalid range/);
  });
});
