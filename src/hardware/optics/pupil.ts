/**
 * Pupil and weak-object transfer functions of a brightfield microscope with Koehler illumination.
 *
 * Pupil (DESIGN.md): P(k) = circ(|k| <= NA/lambda) * exp(i*2*pi*z*(sqrt((n/lambda)^2 - |k|^2) - n/lambda))
 *                           * exp(i*2*pi*W040*(|k|*lambda/NA)^4)
 * with z = defocus d (um). With the FFT convention of fft.ts (forward exp(-i...)), multiplying a field's spectrum by
 * this pupil propagates it FORWARD by z, i.e. +d images a plane downstream of the sample (objective moved away).
 *
 * Weak-object transfer function over a uniform condenser disc |s| <= sigma*NA/lambda:
 *   W(f) = sum_s P*(s) P(s + f) / sum_s |P(s)|^2
 * For t = 1 + u, u = -a + i*phi, the image is I = 1 + F^-1[ -2 Re W * A - 2 Im W * PHI ] (radially symmetric W).
 * Re W (absorption TF) is even in z, Im W (phase TF) is odd in z. W is computed as a cross-correlation by FFT on a
 * frequency grid fine enough to sample the defocus phase, then reduced to a radial profile (W depends on |f| only,
 * because the source and the pupil are radially symmetric).
 */
import { Fft2D, nextFftSize, type PffftModule } from './fft';

export interface ChannelOptics {
  na: number;
  immersionIndex: number;
  condenserSigma: number;
  wavelengthUm: number;
  sphericalAberrationWaves: number;
}

/** Radial transfer functions sampled at f = i*dr (cycles/um). */
export interface RadialTransfer {
  dr: number;
  /** Absorption TF: Re W (1 at f = 0). Applied to the intensity transmission |t|^2. */
  ha: Float32Array;
  /** Phase TF: -2 Im W. Applied to |t|^2 * phi. */
  hp: Float32Array;
}

/** Complex pupil value at |k| = k (cycles/um); writes [re, im] into out. */
export function pupilAt(o: ChannelOptics, zUm: number, k: number, out: [number, number]): void {
  const R = o.na / o.wavelengthUm;
  if (k > R) {
    out[0] = 0;
    out[1] = 0;
    return;
  }
  const nl = o.immersionIndex / o.wavelengthUm;
  const rho = k / R;
  const phase =
    2 * Math.PI * (zUm * (Math.sqrt(nl * nl - k * k) - nl) + o.sphericalAberrationWaves * rho * rho * rho * rho);
  out[0] = Math.cos(phase);
  out[1] = Math.sin(phase);
}

const MAX_GRID = 1024;

/** Frequency grid used to integrate W: spacing small enough for the pupil's phase ramp at this defocus. */
export function wotfGrid(o: ChannelOptics, zUm: number): { m: number; delta: number } {
  const R = o.na / o.wavelengthUm;
  const rc = o.condenserSigma * R;
  const n = o.immersionIndex;
  // cycles of pupil phase per unit |k| near the pupil edge
  const cyc =
    (Math.abs(zUm) * o.na) / Math.sqrt(Math.max(1e-6, n * n - o.na * o.na)) +
    (4 * Math.abs(o.sphericalAberrationWaves)) / R;
  let delta = Math.min(R / 48, cyc > 0 ? 1 / (4 * cyc) : Infinity);
  if (rc > 0) delta = Math.min(delta, rc / 10);
  const extent = 2.1 * (R + rc) + 4 * delta;
  const m = Math.min(MAX_GRID, nextFftSize(Math.ceil(extent / delta)));
  return { m, delta: extent / m };
}

/** W(f) along +fx as complex samples at f = j*delta, j = 0..m/2. */
export function computeWotfProfile(
  mod: PffftModule,
  o: ChannelOptics,
  zUm: number,
): { delta: number; re: Float64Array; im: Float64Array } {
  const { m, delta } = wotfGrid(o, zUm);
  const fft = new Fft2D(mod, m, m);
  try {
    const R = o.na / o.wavelengthUm;
    const rc = o.condenserSigma * R;
    const p: [number, number] = [0, 0];
    const freq = (j: number) => (j < m / 2 ? j : j - m) * delta;
    // A = S * P (source-weighted pupil); B = P. Both laid out with the zero frequency at index 0.
    const fill = (withSource: boolean): number => {
      const a = fft.spatial();
      let count = 0;
      for (let y = 0; y < m; y++) {
        const fy = freq(y);
        for (let x = 0; x < m; x++) {
          const fx = freq(x);
          const k = Math.sqrt(fx * fx + fy * fy);
          const i = 2 * (y * m + x);
          // a zero-size condenser still has one source point, on axis
          const inSource = rc > 0 ? k <= rc : x === 0 && y === 0;
          if (withSource && !inSource) {
            a[i] = 0;
            a[i + 1] = 0;
            continue;
          }
          pupilAt(o, zUm, k, p);
          a[i] = p[0];
          a[i + 1] = p[1];
          if (withSource && (p[0] !== 0 || p[1] !== 0)) count++;
        }
      }
      return count;
    };
    const nSource = fill(true);
    fft.forward();
    const fa = Float32Array.from(fft.spectral());
    fill(false);
    fft.forward();
    const s = fft.spectral();
    // C = IDFT(conj(DFT A) * DFT B): the cross-correlation sum_s conj(A(s)) B(s + f)
    for (let i = 0; i < s.length; i += 2) {
      const ar = fa[i];
      const ai = -fa[i + 1];
      const br = s[i];
      const bi = s[i + 1];
      s[i] = ar * br - ai * bi;
      s[i + 1] = ar * bi + ai * br;
    }
    fft.inverse(0, 1);
    const row = fft.spatial();
    const half = m / 2;
    const re = new Float64Array(half + 1);
    const im = new Float64Array(half + 1);
    for (let j = 0; j <= half; j++) {
      re[j] = row[2 * j] / nSource;
      im[j] = row[2 * j + 1] / nSource;
    }
    return { delta, re, im };
  } finally {
    fft.dispose();
  }
}

/** Radial absorption and phase TFs resampled to bins of width dr, zero beyond (NA + NA_c)/lambda. */
export function radialTransfer(
  mod: PffftModule,
  o: ChannelOptics,
  zUm: number,
  dr: number,
  nBins: number,
): RadialTransfer {
  const prof = computeWotfProfile(mod, o, zUm);
  const cutoff = (o.na * (1 + o.condenserSigma)) / o.wavelengthUm;
  const ha = new Float32Array(nBins);
  const hp = new Float32Array(nBins);
  for (let b = 0; b < nBins; b++) {
    const f = b * dr;
    if (f > cutoff) break;
    const u = f / prof.delta;
    const j = Math.floor(u);
    if (j + 1 >= prof.re.length) break;
    const w = u - j;
    ha[b] = prof.re[j] + (prof.re[j + 1] - prof.re[j]) * w;
    hp[b] = -2 * (prof.im[j] + (prof.im[j + 1] - prof.im[j]) * w);
  }
  return { dr, ha, hp };
}

/** Small LRU of radial transfer functions keyed by (optics, z, binning). */
export class TransferCache {
  private readonly map = new Map<string, RadialTransfer>();
  constructor(
    private readonly mod: PffftModule,
    private readonly capacity = 48,
  ) {}

  get(o: ChannelOptics, zUm: number, dr: number, nBins: number): RadialTransfer {
    const key = [
      o.na,
      o.immersionIndex,
      o.condenserSigma,
      o.wavelengthUm,
      o.sphericalAberrationWaves,
      zUm.toFixed(4),
      dr,
      nBins,
    ].join('|');
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const tf = radialTransfer(this.mod, o, zUm, dr, nBins);
    this.map.set(key, tf);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
    return tf;
  }
}
