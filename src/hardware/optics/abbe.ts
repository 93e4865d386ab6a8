/**
 * Abbe summation: the reference image formation. For each condenser source point s (a tilted plane wave) the
 * coherent image field is E_s = F^-1[ T(f - s) P(f) ] with T the spectrum of t = |t| exp(i phi); the image is the
 * incoherent sum of |E_s|^2 over a uniform disc |s| <= sigma*NA/lambda. Exact for any object strength, but one
 * inverse FFT per source point and channel: used as the reference in tests and as model 'abbe' for strongly
 * phase-dominated slides. Source points are the FFT grid frequencies inside the condenser disc, thinned to at most
 * `maxSourcePoints` on a regular sub-lattice.
 */
import type { OpticalSetup } from '../../shared/optics';
import type { Fft2D } from './fft';
import type { Geometry } from './geometry';
import { pupilAt } from './pupil';
import { contentToCamera, scratchSize } from './resample';
import { channelOptics, type ImageFormation, type IntensityImage } from './render';
import { fillSampleMaps } from './sample';

export interface AbbeOptions {
  maxSourcePoints?: number;
}

/** Abbe intensity of one channel over the whole periodic FFT grid (for spectral tests). */
export function renderAbbeFullField(
  f: ImageFormation,
  defocusUm: number,
  xUm: number,
  yUm: number,
  channel = 0,
  opts: AbbeOptions = {},
): Float32Array {
  return abbeChannels(f, defocusUm, xUm, yUm, opts, [channel], true)[0];
}

/** Source points (grid frequency indices) inside the condenser disc, thinned to at most maxPoints. */
export function sourceLattice(
  g: Geometry,
  setup: OpticalSetup,
  wavelengthUm: number,
  maxPoints: number,
): [number, number][] {
  const dfx = 1 / (g.fftWidth * g.gridPitchUm);
  const dfy = 1 / (g.fftHeight * g.gridPitchUm);
  const rc = (setup.condenserSigma * setup.na) / wavelengthUm;
  const all = (stride: number): [number, number][] => {
    const pts: [number, number][] = [];
    const nx = Math.floor(rc / dfx);
    const ny = Math.floor(rc / dfy);
    for (let j = -ny - (ny % stride); j <= ny; j += stride) {
      for (let i = -nx - (nx % stride); i <= nx; i += stride) {
        const fx = i * dfx;
        const fy = j * dfy;
        if (fx * fx + fy * fy <= rc * rc + 1e-12) pts.push([i, j]);
      }
    }
    return pts;
  };
  let stride = 1;
  let pts = all(stride);
  while (pts.length > maxPoints) {
    stride++;
    pts = all(stride);
  }
  return pts.length ? pts : [[0, 0]];
}

/** Renders one field by Abbe summation with the same geometry, sample and resampling as the fast model. */
export function renderAbbe(
  f: ImageFormation,
  defocusUm: number,
  xUm: number,
  yUm: number,
  opts: AbbeOptions = {},
  which?: number[],
): IntensityImage {
  const g = f.geometry;
  const planes = abbeChannels(f, defocusUm, xUm, yUm, opts, which ?? g.channels.map((_, k) => k), false);
  return { width: g.outWidth, height: g.outHeight, planes, pixelSizeUm: g.cameraPixelUm };
}

function abbeChannels(
  f: ImageFormation,
  defocusUm: number,
  xUm: number,
  yUm: number,
  opts: AbbeOptions,
  which: number[],
  full: boolean,
): Float32Array[] {
  const g = f.geometry;
  const W = g.fftWidth;
  const H = g.fftHeight;
  const n = W * H;
  const win = f.fieldWindow(xUm, yUm);
  const maps: { m: Float32Array; n: Float32Array }[] = [];
  const sub = which.map(() => ({ m: new Float32Array(n), n: new Float32Array(n) }));
  fillSampleMaps(
    f.raster,
    win,
    f.sample,
    which.map((k) => g.channels[k]),
    which.map((k) => g.wavelengths[k]),
    sub,
  );
  which.forEach((k, i) => (maps[k] = sub[i]));
  const fft: Fft2D = f.fftPlan();
  const planes: Float32Array[] = [];
  const scratch = new Float32Array(scratchSize(g));
  const dfx = 1 / (W * g.gridPitchUm);
  const dfy = 1 / (H * g.gridPitchUm);
  const p: [number, number] = [0, 0];
  for (const k of which) {
    const o = channelOptics(f.setup, g.wavelengths[k]);
    // object spectrum T (transposed layout: index kx*H + ky)
    const a = fft.spatial();
    const { m, n: mphi } = maps[k];
    for (let i = 0; i < n; i++) {
      const amp = Math.sqrt(m[i]);
      const phi = m[i] > 0 ? mphi[i] / m[i] : 0;
      a[2 * i] = amp * Math.cos(phi);
      a[2 * i + 1] = amp * Math.sin(phi);
    }
    fft.forward();
    const T = Float32Array.from(fft.spectral());
    // pupil support (transposed indices) and values
    const idx: number[] = [];
    const pv: number[] = [];
    for (let kx = 0; kx < W; kx++) {
      const fx = (kx <= W / 2 ? kx : kx - W) * dfx;
      for (let ky = 0; ky < H; ky++) {
        const fy = (ky <= H / 2 ? ky : ky - H) * dfy;
        pupilAt(o, defocusUm, Math.sqrt(fx * fx + fy * fy), p);
        if (p[0] !== 0 || p[1] !== 0) {
          idx.push(kx, ky);
          pv.push(p[0], p[1]);
        }
      }
    }
    const src = sourceLattice(g, f.setup, g.wavelengths[k], opts.maxSourcePoints ?? 400);
    const rowStart = full ? 0 : g.offY;
    const rows = full ? H : g.contentHeight;
    const col0 = full ? 0 : g.offX;
    const cols = full ? W : g.contentWidth;
    const acc = new Float32Array(cols * rows);
    const norm = 1 / n;
    for (const [sx, sy] of src) {
      const s = fft.spectral();
      s.fill(0);
      for (let q = 0; q < idx.length; q += 2) {
        const kx = idx[q];
        const ky = idx[q + 1];
        const tx = (((kx - sx) % W) + W) % W;
        const ty = (((ky - sy) % H) + H) % H;
        const ti = 2 * (tx * H + ty);
        const tr = T[ti] * norm;
        const tiIm = T[ti + 1] * norm;
        const pr = pv[q];
        const pi = pv[q + 1];
        const o2 = 2 * (kx * H + ky);
        s[o2] = tr * pr - tiIm * pi;
        s[o2 + 1] = tr * pi + tiIm * pr;
      }
      fft.inverse(rowStart, rows, false);
      const e = fft.spatial();
      for (let y = 0; y < rows; y++) {
        let si = 2 * (y * W + col0);
        const oi = y * cols;
        for (let x = 0; x < cols; x++, si += 2) acc[oi + x] += e[si] * e[si] + e[si + 1] * e[si + 1];
      }
    }
    const inv = 1 / src.length;
    for (let i = 0; i < acc.length; i++) acc[i] *= inv;
    if (full) {
      planes.push(acc);
      continue;
    }
    const out = new Float32Array(g.outWidth * g.outHeight);
    contentToCamera(g, acc, 0, g.contentWidth, 1, out, scratch);
    planes.push(out);
  }
  return planes;
}
