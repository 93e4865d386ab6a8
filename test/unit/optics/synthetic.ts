/** Synthetic slides for physics tests (linear transmittance, white = 1). */
import { Slide } from '../../../src/hardware/optics/slide';
import { Rng } from '../../../src/hardware/optics/rng';

/** A Gaussian optical-density bump of peak `od` and sigma `sigmaUm` at the slide centre. */
export function bumpSlide(n: number, pixelUm: number, sigmaUm: number, od = 1): Slide {
  const rgb = new Float32Array(n * n * 3);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const r2 = ((x - n / 2 + 0.5) ** 2 + (y - n / 2 + 0.5) ** 2) * pixelUm * pixelUm;
      const t = Math.exp(-od * Math.exp(-r2 / (2 * sigmaUm * sigmaUm)));
      rgb.fill(t, 3 * (y * n + x), 3 * (y * n + x) + 3);
    }
  }
  return Slide.fromPixels('bump', n, n, pixelUm, rgb);
}

/** Independent random optical density per pixel, uniform in [0, odMax], same in all channels. */
export function randomSlide(n: number, pixelUm: number, odMax: number, seed = 7): Slide {
  const rng = new Rng(seed);
  const rgb = new Float32Array(n * n * 3);
  for (let i = 0; i < n * n; i++) rgb.fill(Math.exp(-odMax * rng.next()), 3 * i, 3 * i + 3);
  return Slide.fromPixels('random', n, n, pixelUm, rgb);
}

export function mean(p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i];
  return s / p.length;
}

/** Intensity at the centre pixel (average of the 2x2 central pixels for even sizes). */
export function centre(p: Float32Array, w: number, h: number): number {
  const x = w / 2;
  const y = h / 2;
  return (p[(y - 1) * w + x - 1] + p[(y - 1) * w + x] + p[y * w + x - 1] + p[y * w + x]) / 4;
}
