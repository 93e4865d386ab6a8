/**
 * Pure phase objects and the sign of defocus. +d = objective moved away = focal plane downstream of the sample:
 * the image at +d is the sample field propagated forward, so a positive phase bump (optically denser, a positive
 * lens) focuses light and looks BRIGHTER at its centre for d > 0, DARKER for d < 0 (TIE: dI/dz = -(1/k) div(I grad phi)).
 */
import { describe, expect, it } from 'vitest';
import { SETUP_PRESETS, type OpticalSetup } from '../../../src/shared/optics';
import { renderAbbe } from '../../../src/hardware/optics/abbe';
import { ImageFormation } from '../../../src/hardware/optics/render';
import { bumpSlide, centre, mean } from './synthetic';

const mono20x: OpticalSetup = { ...SETUP_PRESETS['20x'], colour: false };
const PHASE = 0.3; // rad at 0.55 um per unit OD; bump OD peak 1
const SIGMA_UM = 1.5;

async function phaseBump(size: number, margin = 10): Promise<ImageFormation> {
  const slide = bumpSlide(size * 2, 0.1725, SIGMA_UM, 1);
  return ImageFormation.create(
    slide,
    mono20x,
    { absorptionScale: 0, phaseScaleRad: PHASE },
    { width: size, height: size, marginDefocusUm: margin },
  );
}

describe('pure phase object (no absorption)', () => {
  it('fast model: contrast reverses across focus, vanishes in focus, mean intensity conserved within 1 % over +-10 um', async () => {
    const f = await phaseBump(128);
    const contrast = (d: number) => {
      const p = f.render(d, 0, 0).planes[0];
      return { c: centre(p, 128, 128) / mean(p) - 1, m: mean(p) };
    };
    const c0 = contrast(0);
    for (const d of [0.5, 1, 2, 4]) {
      const plus = contrast(d);
      const minus = contrast(-d);
      expect(plus.c).toBeGreaterThan(0.005);
      expect(minus.c).toBeLessThan(-0.005);
      expect(Math.abs(c0.c)).toBeLessThan(0.05 * Math.min(Math.abs(plus.c), Math.abs(minus.c)));
    }
    for (let d = -10; d <= 10; d += 2.5) expect(Math.abs(contrast(d).m - 1)).toBeLessThan(0.01);
    f.dispose();
  });

  it('Abbe reference: positive phase bump brighter at its centre for d > 0, darker for d < 0, mean conserved', async () => {
    const f = await phaseBump(64, 5);
    const img = (d: number) => renderAbbe(f, d, 0, 0, { maxSourcePoints: 120 }).planes[0];
    const p0 = img(0);
    const pp = img(2);
    const pm = img(-2);
    expect(centre(pp, 64, 64)).toBeGreaterThan(1.01);
    expect(centre(pm, 64, 64)).toBeLessThan(0.99);
    expect(Math.abs(centre(p0, 64, 64) - 1)).toBeLessThan(0.1 * Math.abs(centre(pp, 64, 64) - 1));
    // the bump lies inside the 11 um field; the rest of its ring lies outside, so allow the field mean a little slack
    for (const p of [p0, pp, pm]) expect(Math.abs(mean(p) - 1)).toBeLessThan(0.01);
    f.dispose();
  });

  it('the centre intensity slope near focus matches the transport-of-intensity equation (with the obliquity of the condenser)', async () => {
    const lambda = mono20x.wavelengthsUm.g;
    const phi0 = (PHASE * 0.55) / lambda;
    // phi = phi0 exp(-r^2/2s^2): laplacian at the centre = -2 phi0 / s^2; dI/dz = -(lambda/2 pi n) lap(phi)
    const tie = (lambda / (2 * Math.PI)) * ((2 * phi0) / (SIGMA_UM * SIGMA_UM));
    for (const sigma of [0.1, 0.7]) {
      const slide = bumpSlide(256, 0.1725, SIGMA_UM, 1);
      const f = await ImageFormation.create(
        slide,
        { ...mono20x, condenserSigma: sigma },
        { absorptionScale: 0, phaseScaleRad: PHASE },
        { width: 128, height: 128 },
      );
      const d = 0.2;
      const slope =
        (centre(f.render(d, 0, 0).planes[0], 128, 128) - centre(f.render(-d, 0, 0).planes[0], 128, 128)) / (2 * d);
      // Non-paraxial pupil phase averaged over a uniform condenser disc of radius rc = sigma NA / lambda: the
      // effective defocus of oblique illumination is longer by 1 + lambda^2 <s^2> / n^2, <s^2> = rc^2 / 2.
      const rc = (sigma * mono20x.na) / lambda;
      const expected = tie * (1 + (lambda * lambda * rc * rc) / 2);
      console.log(
        `TIE check sigma=${sigma}: measured dI/dz = ${slope.toFixed(5)} /um, paraxial TIE ${tie.toFixed(5)}, with obliquity ${expected.toFixed(5)}`,
      );
      expect(Math.abs(slope / expected - 1)).toBeLessThan(0.05);
      f.dispose();
    }
  });
});
