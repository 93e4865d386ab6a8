/**
 * Sharpness metrics on a luminance image (core code: tight typed-array loops, one pass each, no allocation
 * beyond the luminance buffer). All are means over the pixels they use, so they do not grow with the image size.
 *
 * - normVariance: variance / mean (Groen et al. 1985), insensitive to illumination level.
 * - brenner: mean squared difference of pixels two apart, horizontally and vertically.
 * - tenengrad: mean squared Sobel gradient magnitude (no threshold).
 * - laplacianVariance: variance of the 4-neighbour Laplacian (Pech-Pacheco et al. 2000).
 */
import type { Sharpness, SharpnessMetric } from '../../shared/dataset';
import { luminance, type Luminance, type PixelBuffer } from './luminance';

export function normVariance(l: Luminance): number {
  const d = l.data;
  const n = d.length;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += d[i];
  const mean = sum / n;
  if (mean <= 0) return 0;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const v = d[i] - mean;
    ss += v * v;
  }
  return ss / n / mean;
}

export function brenner(l: Luminance): number {
  const { data: d, width: w, height: h } = l;
  let sum = 0;
  let n = 0;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x + 2 < w; x++) {
      const v = d[row + x + 2] - d[row + x];
      sum += v * v;
    }
    n += Math.max(0, w - 2);
  }
  for (let y = 0; y + 2 < h; y++) {
    const row = y * w;
    const row2 = row + 2 * w;
    for (let x = 0; x < w; x++) {
      const v = d[row2 + x] - d[row + x];
      sum += v * v;
    }
    n += w;
  }
  return n > 0 ? sum / n : 0;
}

export function tenengrad(l: Luminance): number {
  const { data: d, width: w, height: h } = l;
  if (w < 3 || h < 3) return 0;
  let sum = 0;
  for (let y = 1; y < h - 1; y++) {
    const up = (y - 1) * w;
    const mid = y * w;
    const dn = (y + 1) * w;
    for (let x = 1; x < w - 1; x++) {
      const a = d[up + x - 1];
      const b = d[up + x];
      const c = d[up + x + 1];
      const e = d[mid + x - 1];
      const f = d[mid + x + 1];
      const g = d[dn + x - 1];
      const hh = d[dn + x];
      const i = d[dn + x + 1];
      const gx = c + 2 * f + i - a - 2 * e - g;
      const gy = g + 2 * hh + i - a - 2 * b - c;
      sum += gx * gx + gy * gy;
    }
  }
  return sum / ((w - 2) * (h - 2));
}

export function laplacianVariance(l: Luminance): number {
  const { data: d, width: w, height: h } = l;
  if (w < 3 || h < 3) return 0;
  let sum = 0;
  let ss = 0;
  for (let y = 1; y < h - 1; y++) {
    const mid = y * w;
    for (let x = 1; x < w - 1; x++) {
      const i = mid + x;
      const v = d[i - w] + d[i + w] + d[i - 1] + d[i + 1] - 4 * d[i];
      sum += v;
      ss += v * v;
    }
  }
  const n = (w - 2) * (h - 2);
  const mean = sum / n;
  return ss / n - mean * mean;
}

export const METRIC_FUNCTIONS: Record<SharpnessMetric, (l: Luminance) => number> = {
  normVariance,
  brenner,
  tenengrad,
  laplacianVariance,
};

/** All four metrics of one image. `step` subsamples (1 = every pixel). */
export function sharpnessOf(img: PixelBuffer, step = 1): Sharpness {
  const l = luminance(img, step);
  return {
    normVariance: normVariance(l),
    brenner: brenner(l),
    tenengrad: tenengrad(l),
    laplacianVariance: laplacianVariance(l),
  };
}

/** One metric of one image (live readout). */
export function sharpness(img: PixelBuffer, metric: SharpnessMetric, step = 1): number {
  return METRIC_FUNCTIONS[metric](luminance(img, step));
}
