/** In focus, the image holds no spatial frequency beyond the partially coherent cut-off (NA + NA_c)/lambda. */
import { describe, expect, it } from 'vitest';
import { SETUP_PRESETS, incoherentCutoffPerUm, type OpticalSetup } from '../../../src/shared/optics';
import { renderAbbeFullField } from '../../../src/hardware/optics/abbe';
import { Fft2D, loadFftModule } from '../../../src/hardware/optics/fft';
import { ImageFormation } from '../../../src/hardware/optics/render';
import { radialTransfer } from '../../../src/hardware/optics/pupil';
import { channelOptics } from '../../../src/hardware/optics/render';
import { randomSlide } from './synthetic';

const mono20x: OpticalSetup = { ...SETUP_PRESETS['20x'], colour: false };

/** Fraction of the image's AC energy in |f| > fLim (periodic full field, so no window is needed). */
async function energyBeyond(
  img: Float32Array,
  g: { fftWidth: number; fftHeight: number; gridPitchUm: number },
  fLim: number,
): Promise<number> {
  const mod = await loadFftModule();
  const { fftWidth: W, fftHeight: H } = g;
  const fft = new Fft2D(mod, H, W);
  const a = fft.spatial();
  let m = 0;
  for (let i = 0; i < W * H; i++) m += img[i];
  m /= W * H;
  for (let i = 0; i < W * H; i++) {
    a[2 * i] = img[i] - m;
    a[2 * i + 1] = 0;
  }
  fft.forward();
  const s = fft.spectral();
  let total = 0;
  let beyond = 0;
  for (let kx = 0; kx < W; kx++) {
    const fx = (kx <= W / 2 ? kx : kx - W) / (W * g.gridPitchUm);
    for (let ky = 0; ky < H; ky++) {
      const fy = (ky <= H / 2 ? ky : ky - H) / (H * g.gridPitchUm);
      const e = s[2 * (kx * H + ky)] ** 2 + s[2 * (kx * H + ky) + 1] ** 2;
      total += e;
      if (Math.hypot(fx, fy) > fLim) beyond += e;
    }
  }
  fft.dispose();
  return beyond / total;
}

describe('in-focus spectrum of a random object', () => {
  it('Abbe and fast model: no energy beyond (NA + NA_c)/lambda for a weak object; Abbe none beyond 2NA/lambda even for a strong one', async () => {
    const fc = incoherentCutoffPerUm(mono20x, mono20x.wavelengthsUm.g);
    const weak = await ImageFormation.create(
      randomSlide(96, 0.1725, 0.1),
      mono20x,
      { absorptionScale: 1, phaseScaleRad: 0.1 },
      { width: 64, height: 64, marginDefocusUm: 1 },
    );
    const g = weak.geometry;
    const df = 1 / (Math.min(g.fftWidth, g.fftHeight) * g.gridPitchUm);
    // the object itself has plenty of energy beyond the cut-off (white noise up to the grid Nyquist)
    const objectLike = await energyBeyond(
      weak.renderFullField(0, 0, 0).map(() => Math.random()),
      g,
      fc,
    );
    expect(objectLike).toBeGreaterThan(0.2);
    const fast = await energyBeyond(weak.renderFullField(0, 0, 0), g, fc + 2 * df);
    const abbe = await energyBeyond(renderAbbeFullField(weak, 0, 0, 0, 0, { maxSourcePoints: 150 }), g, fc + 2 * df);
    const abbeInside = await energyBeyond(renderAbbeFullField(weak, 0, 0, 0, 0, { maxSourcePoints: 150 }), g, 0.6 * fc);
    console.log(
      `energy beyond (NA+NA_c)/lambda = ${fc.toFixed(3)} c/um: fast ${fast.toExponential(2)}, Abbe ${abbe.toExponential(2)}; Abbe beyond 0.6 fc: ${abbeInside.toExponential(2)}`,
    );
    expect(fast).toBeLessThan(1e-6);
    expect(abbe).toBeLessThan(2e-3);
    expect(abbeInside).toBeGreaterThan(0.01); // the band near the cut-off is not empty: the test can see energy there
    weak.dispose();
    const strong = await ImageFormation.create(
      randomSlide(96, 0.1725, 3),
      mono20x,
      { absorptionScale: 1, phaseScaleRad: 0.3 },
      { width: 64, height: 64, marginDefocusUm: 1 },
    );
    const twoNa = (2 * mono20x.na) / mono20x.wavelengthsUm.g;
    const strongBeyond = await energyBeyond(
      renderAbbeFullField(strong, 0, 0, 0, 0, { maxSourcePoints: 150 }),
      strong.geometry,
      twoNa + 2 * df,
    );
    expect(strongBeyond).toBeLessThan(1e-6);
    strong.dispose();
  });

  it('absorption transfer function: 1 at f = 0, positive up to the cut-off, 0 beyond; falls faster with |d| (blur grows)', async () => {
    const mod = await loadFftModule();
    const o = channelOptics(mono20x, 0.54);
    const fc = incoherentCutoffPerUm(mono20x, 0.54);
    const dr = 0.01;
    const n = Math.ceil(fc / dr) + 20;
    const tf0 = radialTransfer(mod, o, 0, dr, n);
    expect(tf0.ha[0]).toBeCloseTo(1, 3);
    expect(tf0.ha[Math.floor((0.95 * fc) / dr)]).toBeGreaterThan(0);
    expect(tf0.ha[Math.ceil((1.02 * fc) / dr)]).toBe(0);
    // in focus the phase TF vanishes
    expect(Math.max(...Array.from(tf0.hp).map(Math.abs))).toBeLessThan(2e-3);
    const at = (d: number, f: number) => radialTransfer(mod, o, d, dr, n).ha[Math.round(f / dr)];
    expect(at(1, 0.8)).toBeLessThan(at(0, 0.8));
    expect(Math.abs(at(3, 0.8))).toBeLessThan(at(1, 0.8));
    // even in z (absorption), odd in z (phase)
    const p = radialTransfer(mod, o, 2, dr, n);
    const m = radialTransfer(mod, o, -2, dr, n);
    for (const b of [20, 60, 120]) {
      expect(p.ha[b]).toBeCloseTo(m.ha[b], 4);
      expect(p.hp[b]).toBeCloseTo(-m.hp[b], 4);
    }
  });
});
