/** Domain randomisation: a plain JSON record of every choice, which reproduces the image exactly. */
import { describe, expect, it } from 'vitest';
import { drawRenderingVariant, renderVariant, colourTemperatureBalance } from '../../../src/hardware/optics/randomize';
import { Slide } from '../../../src/hardware/optics/slide';
import { DEFAULT_SLIDE_PATH } from '../../../src/hardware/optics/default-slide';
import { SETUP_PRESETS } from '../../../src/shared/optics';

describe('domain randomisation', () => {
  it('draws a JSON-serialisable record within tolerance; the record reproduces the frame bit for bit', async () => {
    const v = drawRenderingVariant(42, '20x');
    const json = JSON.parse(JSON.stringify(v));
    expect(json).toEqual(v);
    expect(Math.abs(v.setup.na - 0.75)).toBeLessThanOrEqual(0.03);
    expect(v.setup.condenserSigma).toBeGreaterThanOrEqual(0.45);
    expect(v.setup.condenserSigma).toBeLessThanOrEqual(0.9);
    expect(Math.abs(v.setup.sphericalAberrationWaves)).toBeLessThanOrEqual(0.25);
    expect(v.sample.stainMatrix).toHaveLength(9);
    expect(drawRenderingVariant(42, '20x')).toEqual(v);
    expect(drawRenderingVariant(43, '20x')).not.toEqual(v);
    const slide = await Slide.load(DEFAULT_SLIDE_PATH);
    const req = { defocusUm: -3, xUm: 4, yUm: 2, width: 96, height: 64 };
    const a = await renderVariant(slide, v, req);
    const b = await renderVariant(slide, json, req);
    expect(Buffer.compare(Buffer.from(a.data), Buffer.from(b.data))).toBe(0);
    const other = await renderVariant(slide, drawRenderingVariant(43, '20x'), req);
    expect(Buffer.compare(Buffer.from(a.data), Buffer.from(other.data))).not.toBe(0);
  });

  it('warmer light is redder; unstained variants keep absorption small', () => {
    const wb = colourTemperatureBalance(2900, SETUP_PRESETS['20x'].wavelengthsUm);
    expect(wb[0]).toBeGreaterThan(1);
    expect(wb[2]).toBeLessThan(1);
    const u = drawRenderingVariant(5, '40x', { kind: 'unstained' });
    expect(u.sample.absorptionScale).toBeLessThan(0.31);
    expect(u.sample.phaseScaleRad).toBeGreaterThan(0.49);
  });
});
