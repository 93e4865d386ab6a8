import { describe, expect, it } from 'vitest';
import { Fft2D, isFftSize, loadFftModule, nextFftSize } from '../../../src/hardware/optics/fft';

describe('FFT library (PFFFT wasm): sizes and sign convention', () => {
  it('accepts 16 * 2^a 3^b 5^c sizes only and rounds up to one', () => {
    expect(isFftSize(1440)).toBe(true);
    expect(isFftSize(1120)).toBe(false); // 7 is not a factor PFFFT takes
    expect(isFftSize(24)).toBe(false); // not a multiple of 16
    expect(nextFftSize(1412)).toBe(1440);
    expect(nextFftSize(1092)).toBe(1152);
    expect(nextFftSize(1)).toBe(16);
  });

  it('forward is exp(-2 pi i k n / N): a wave exp(+2 pi i (3x/W + 5y/H)) lands in bin (kx=3, ky=5); inverse undoes it', async () => {
    const mod = await loadFftModule();
    const H = 32;
    const W = 48;
    const f = new Fft2D(mod, H, W);
    const a = f.spatial();
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const ph = 2 * Math.PI * ((3 * x) / W + (5 * y) / H);
        a[2 * (y * W + x)] = Math.cos(ph);
        a[2 * (y * W + x) + 1] = Math.sin(ph);
      }
    }
    f.forward();
    const s = f.spectral();
    // transposed layout: (kx, ky) at 2*(kx*H + ky)
    const at = (kx: number, ky: number) => Math.hypot(s[2 * (kx * H + ky)], s[2 * (kx * H + ky) + 1]);
    expect(at(3, 5)).toBeCloseTo(W * H, 1);
    expect(at(W - 3, H - 5)).toBeLessThan(1e-2);
    f.inverse();
    const b = f.spatial();
    expect(b[2 * (7 * W + 11)]).toBeCloseTo(Math.cos(2 * Math.PI * ((3 * 11) / W + (5 * 7) / H)), 4);
    expect(b[2 * (7 * W + 11) + 1]).toBeCloseTo(Math.sin(2 * Math.PI * ((3 * 11) / W + (5 * 7) / H)), 4);
    f.dispose();
  });
});
