/**
 * Why the fast model is not the textbook WOTF: stained tissue is not a weak object (a > 1 in nuclei). Against an
 * Abbe-summation reference on a real H&E field, the textbook linearisation (|t|^2 -> 1 - 2a) is off by more than the
 * whole image contrast, while the transmittance-linear model used for rendering stays within ~10-17 % (measured: 9.5 % in focus, 17 % at d = +4 um; the Abbe reference is converged to 2 %).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SETUP_PRESETS, type OpticalSetup } from '../../../src/shared/optics';
import { renderAbbe } from '../../../src/hardware/optics/abbe';
import { ImageFormation } from '../../../src/hardware/optics/render';
import { Slide } from '../../../src/hardware/optics/slide';
import { DEFAULT_SLIDE_PATH } from '../../../src/hardware/optics/default-slide';

const mono20x: OpticalSetup = { ...SETUP_PRESETS['20x'], colour: false };

function relRms(a: Float32Array, ref: Float32Array): number {
  let m = 0;
  for (const v of ref) m += v;
  m /= ref.length;
  let e = 0;
  let s = 0;
  for (let i = 0; i < ref.length; i++) {
    e += (a[i] - ref[i]) ** 2;
    s += (ref[i] - m) ** 2;
  }
  return Math.sqrt(e / s);
}

describe('fast model vs Abbe summation on stained tissue', () => {
  it('transmittance-linear model within 20 % of Abbe (rms / image std) at d = 0, +-2, +4 um; textbook WOTF > 100 %', async () => {
    const slide = await Slide.load(DEFAULT_SLIDE_PATH);
    const size = 96;
    const opts = { width: size, height: size, marginDefocusUm: 5 };
    const fast = await ImageFormation.create(slide, mono20x, { absorptionScale: 1, phaseScaleRad: 0.3 }, opts);
    const weak = await ImageFormation.create(
      slide,
      mono20x,
      { absorptionScale: 1, phaseScaleRad: 0.3, weakObject: true },
      opts,
    );
    const x = -28;
    const y = -28;
    const rows: { d: number; fast: number; textbookWotf: number }[] = [];
    for (const d of [0, -2, 2, 4]) {
      const ref = renderAbbe(fast, d, x, y, { maxSourcePoints: 250 }).planes[0];
      rows.push({
        d,
        fast: relRms(fast.render(d, x, y).planes[0], ref),
        textbookWotf: relRms(weak.render(d, x, y).planes[0], ref),
      });
    }
    console.table(rows);
    await mkdir('test-output/optics', { recursive: true });
    await writeFile('test-output/optics/abbe-vs-fast.json', JSON.stringify(rows, null, 2));
    for (const r of rows) {
      expect(r.fast).toBeLessThan(0.2);
      expect(r.textbookWotf).toBeGreaterThan(1);
    }
    fast.dispose();
    weak.dispose();
  });
});
