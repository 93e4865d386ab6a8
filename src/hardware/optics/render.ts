/**
 * Fast image formation: a transmittance-linear transfer-function model (call it "TL-WOTF").
 *
 * For each channel the image is
 *   I = F^-1[ Re W(|f|) * F(|t|^2) - 2 Im W(|f|) * F(|t|^2 * phi) ]
 * with W the weak-object transfer function of pupil.ts. For a weak object (|t|^2 ~ 1 - 2a, phi small) this is the
 * textbook WOTF image; unlike the textbook form it stays exact for any absorption in the incoherent limit and never
 * goes negative for stained tissue (a up to ~2), and weighting the phase by |t|^2 follows the transport-of-intensity
 * term div(I grad phi). Measured against Abbe summation on H&E (test/unit/optics/abbe.test.ts): the textbook WOTF
 * is off by 600-1600 % of the image contrast (a > 1 is not weak), this model by 9-17 %. For strongly phase-dominated
 * samples (unstained cells, phi varying by radians) it errs by 20-60 %: use model 'abbe' there when accuracy
 * matters more than speed.
 *
 * Cost per frame: the object spectra F(|t|^2), F(|t|^2 phi) are cached per field (XY); each new z costs the radial
 * transfer functions (cached per z) and, for colour, two complex inverse FFTs (R+iG and B+iG, see frame.ts), since the
 * per-channel images are real (Hermitian spectra).
 */
import type { OpticalSetup } from '../../shared/optics';
import { loadFftModule, FftPool, type Fft2D, type PffftModule } from './fft';
import { planGeometry, type Geometry } from './geometry';
import { TransferCache, type ChannelOptics, type RadialTransfer } from './pupil';
import { contentToCamera, scratchSize } from './resample';
import { fillSampleMaps, sampleKey, type FieldWindow, type ResolvedSample } from './sample';
import type { Slide, SlideRaster } from './slide';

/** Relative intensity (1 = open illumination) at camera pixels, one plane per rendered channel. */
export interface IntensityImage {
  width: number;
  height: number;
  /** Planes in R,G,B order for colour, [G] for mono. */
  planes: Float32Array[];
  pixelSizeUm: number;
}

export interface FieldSpectra {
  key: string;
  /** Half-plane (kx = 0..W/2, all ky) spectra per channel: X = F(|t|^2), Y = F(|t|^2 phi), interleaved complex. */
  x: Float32Array[];
  y: Float32Array[];
}

export function channelOptics(setup: OpticalSetup, wavelengthUm: number): ChannelOptics {
  return {
    na: setup.na,
    immersionIndex: setup.immersionIndex,
    condenserSigma: setup.condenserSigma,
    wavelengthUm,
    sphericalAberrationWaves: setup.sphericalAberrationWaves,
  };
}

export class ImageFormation {
  readonly geometry: Geometry;
  private readonly pool: FftPool;
  private readonly tfs: TransferCache;
  private readonly dr: number;
  private readonly nBins: number;
  private fields: FieldSpectra[] = [];
  private readonly fy2: Float64Array;
  private readonly kyMirror: Int32Array;
  private readonly scratch: Float32Array;

  private constructor(
    readonly mod: PffftModule,
    readonly setup: OpticalSetup,
    readonly raster: SlideRaster,
    readonly sample: ResolvedSample,
    geometry: Geometry,
  ) {
    this.geometry = geometry;
    this.pool = new FftPool(mod);
    this.tfs = new TransferCache(mod);
    const g = geometry;
    const dfx = 1 / (g.fftWidth * g.gridPitchUm);
    const dfy = 1 / (g.fftHeight * g.gridPitchUm);
    this.dr = Math.min(dfx, dfy) / 2;
    const fcMax = Math.max(...g.wavelengths.map((l) => (setup.na * (1 + setup.condenserSigma)) / l));
    this.nBins = Math.ceil(fcMax / this.dr) + 3;
    this.fy2 = new Float64Array(g.fftHeight);
    this.kyMirror = new Int32Array(g.fftHeight);
    for (let ky = 0; ky < g.fftHeight; ky++) {
      const fy = (ky <= g.fftHeight / 2 ? ky : ky - g.fftHeight) * dfy;
      this.fy2[ky] = fy * fy;
      this.kyMirror[ky] = (g.fftHeight - ky) % g.fftHeight;
    }
    this.scratch = new Float32Array(scratchSize(g));
  }

  static async create(
    slide: Slide,
    setup: OpticalSetup,
    sample: ResolvedSample,
    opts: { width: number; height: number; marginDefocusUm?: number },
  ): Promise<ImageFormation> {
    const geometry = planGeometry(setup, opts.width, opts.height, opts.marginDefocusUm ?? 10);
    const raster = await slide.raster(geometry.gridPitchUm);
    return ImageFormation.fromRaster(raster, setup, sample, opts);
  }

  /** From an already resampled slide raster (e.g. shared with a worker thread). */
  static async fromRaster(
    raster: SlideRaster,
    setup: OpticalSetup,
    sample: ResolvedSample,
    opts: { width: number; height: number; marginDefocusUm?: number },
  ): Promise<ImageFormation> {
    const mod = await loadFftModule();
    const geometry = planGeometry(setup, opts.width, opts.height, opts.marginDefocusUm ?? 10);
    if (Math.abs(raster.pitchUm - geometry.gridPitchUm) > 1e-6)
      throw new Error(`Slide raster pitch ${raster.pitchUm} does not match the grid pitch ${geometry.gridPitchUm}`);
    return new ImageFormation(mod, setup, raster, sample, geometry);
  }

  /** The FFT plan of this geometry (shared with the Abbe reference). */
  fftPlan(): Fft2D {
    return this.pool.get(this.geometry.fftHeight, this.geometry.fftWidth);
  }

  /** The FFT-grid window of the slide raster for a field centred at (xUm, yUm) from the slide centre. */
  fieldWindow(xUm: number, yUm: number): FieldWindow {
    const g = this.geometry;
    const r = this.raster;
    const cx = r.width / 2 - 0.5 + xUm / g.gridPitchUm;
    const cy = r.height / 2 - 0.5 + yUm / g.gridPitchUm;
    return {
      x0: Math.round(cx - g.centreX) - g.offX,
      y0: Math.round(cy - g.centreY) - g.offY,
      width: g.fftWidth,
      height: g.fftHeight,
    };
  }

  /** Object spectra of the field at (xUm, yUm) for the given channels (computed lazily; last two fields cached). */
  fieldSpectra(xUm: number, yUm: number, which: number[] = this.allChannels()): FieldSpectra {
    const win = this.fieldWindow(xUm, yUm);
    const key = `${win.x0},${win.y0}|${sampleKey(this.sample)}`;
    let field = this.fields.find((f) => f.key === key);
    if (!field) {
      field = { key, x: [], y: [] };
      this.fields = [field, ...this.fields].slice(0, 2);
    }
    const missing = which.filter((k) => !field.x[k]);
    if (missing.length) this.computeSpectra(field, win, missing);
    return field;
  }

  private allChannels(): number[] {
    return this.geometry.channels.map((_, k) => k);
  }

  private computeSpectra(field: FieldSpectra, win: FieldWindow, which: number[]): void {
    const g = this.geometry;
    const W = g.fftWidth;
    const H = g.fftHeight;
    const n = W * H;
    const maps = which.map(() => ({ m: new Float32Array(n), n: new Float32Array(n) }));
    fillSampleMaps(
      this.raster,
      win,
      this.sample,
      which.map((k) => g.channels[k]),
      which.map((k) => g.wavelengths[k]),
      maps,
    );
    const fft = this.pool.get(H, W);
    const halfRows = W / 2 + 1;
    // Pre-scaled by 1/(W*H) so the per-frame inverse FFT need not scale.
    const norm = 0.5 / n;
    which.forEach((k, idx) => {
      const mp = maps[idx];
      const a = fft.spatial();
      for (let i = 0; i < n; i++) {
        a[2 * i] = mp.m[i];
        a[2 * i + 1] = mp.n[i];
      }
      fft.forward();
      const s = fft.spectral();
      const X = new Float32Array(2 * halfRows * H);
      const Y = new Float32Array(2 * halfRows * H);
      for (let kx = 0; kx < halfRows; kx++) {
        const kxm = (W - kx) % W;
        for (let ky = 0; ky < H; ky++) {
          const i = 2 * (kx * H + ky);
          const j = 2 * (kxm * H + this.kyMirror[ky]);
          const zr = s[i];
          const zi = s[i + 1];
          const mr = s[j];
          const mi = s[j + 1];
          X[i] = norm * (zr + mr);
          X[i + 1] = norm * (zi - mi);
          Y[i] = norm * (zi + mi);
          Y[i + 1] = -norm * (zr - mr);
        }
      }
      field.x[k] = X;
      field.y[k] = Y;
    });
  }

  transfer(channel: number, defocusUm: number): RadialTransfer {
    const o = channelOptics(this.setup, this.geometry.wavelengths[channel]);
    return this.tfs.get(o, defocusUm, this.dr, this.nBins);
  }

  /**
   * Renders the relative intensity at camera pixels for a field centred at (xUm, yUm), defocus d (um).
   * `which` selects channel indices (into geometry.channels); planes come back in that order.
   */
  render(defocusUm: number, xUm: number, yUm: number, which: number[] = this.allChannels()): IntensityImage {
    if (!Number.isFinite(defocusUm) || !Number.isFinite(xUm) || !Number.isFinite(yUm)) {
      throw new Error(`Render position must be finite (d=${defocusUm}, x=${xUm}, y=${yUm})`);
    }
    const g = this.geometry;
    const field = this.fieldSpectra(xUm, yUm, which);
    const tfs: RadialTransfer[] = [];
    for (const k of which) tfs[k] = this.transfer(k, defocusUm);
    const planes = which.map(() => new Float32Array(g.outWidth * g.outHeight));
    for (let i = 0; i < which.length; i += 2) {
      const pair = i + 1 < which.length;
      this.inverseChannels(field, tfs, which[i], pair ? which[i + 1] : -1);
      const sp = this.fftPlan().spatial();
      const stride = 2 * g.fftWidth;
      contentToCamera(g, sp, 2 * g.offX, stride, 2, planes[i], this.scratch);
      if (pair) contentToCamera(g, sp, 2 * g.offX + 1, stride, 2, planes[i + 1], this.scratch);
    }
    return { width: g.outWidth, height: g.outHeight, planes, pixelSizeUm: g.cameraPixelUm };
  }

  /** Uncropped, periodic intensity of one channel over the whole FFT grid (for spectral tests). */
  renderFullField(defocusUm: number, xUm: number, yUm: number, channel = 0): Float32Array {
    const g = this.geometry;
    const field = this.fieldSpectra(xUm, yUm, [channel]);
    const tfs: RadialTransfer[] = [];
    tfs[channel] = this.transfer(channel, defocusUm);
    this.inverseChannels(field, tfs, channel, -1, 0, g.fftHeight);
    const sp = this.fftPlan().spatial();
    const out = new Float32Array(g.fftWidth * g.fftHeight);
    for (let i = 0; i < out.length; i++) out[i] = sp[2 * i];
    return out;
  }

  /** Fills the spectrum of channel a (+ i * channel b when b >= 0) and inverse-transforms the content rows. */
  private inverseChannels(
    field: FieldSpectra,
    tfs: RadialTransfer[],
    a: number,
    b: number,
    rowStart = this.geometry.offY,
    rowCount = this.geometry.contentHeight,
  ): void {
    const g = this.geometry;
    const W = g.fftWidth;
    const H = g.fftHeight;
    const fft = this.pool.get(H, W);
    const s = fft.spectral();
    const dfx = 1 / (W * g.gridPitchUm);
    const invDr = 1 / this.dr;
    const lastBin = this.nBins - 2;
    const XA = field.x[a];
    const YA = field.y[a];
    const haA = tfs[a].ha;
    const hpA = tfs[a].hp;
    const XB = b >= 0 ? field.x[b] : XA;
    const YB = b >= 0 ? field.y[b] : YA;
    const haB = b >= 0 ? tfs[b].ha : haA;
    const hpB = b >= 0 ? tfs[b].hp : hpA;
    const useB = b >= 0 ? 1 : 0;
    const fy2 = this.fy2;
    const kyMirror = this.kyMirror;
    const dfy = 1 / (H * g.gridPitchUm);
    const rMax = lastBin * this.dr;
    for (let kx = 0; kx <= W / 2; kx++) {
      const fx = kx * dfx;
      const fx2 = fx * fx;
      const kxm = (W - kx) % W;
      const rowM = kxm * H;
      const row = kx * H;
      // Only |f| < rMax carries signal: zero the rest of this row (and its mirror) in one go.
      const room = rMax * rMax - fx2;
      const kyLim = room <= 0 ? -1 : Math.min(H >> 1, Math.floor(Math.sqrt(room) / dfy));
      if (kyLim < 0) {
        s.fill(0, 2 * row, 2 * (row + H));
        s.fill(0, 2 * rowM, 2 * (rowM + H));
        continue;
      }
      if (2 * kyLim + 1 < H) {
        s.fill(0, 2 * (row + kyLim + 1), 2 * (row + H - kyLim));
        s.fill(0, 2 * (rowM + kyLim + 1), 2 * (rowM + H - kyLim));
      }
      for (let part = 0; part < 2; part++) {
        const k0 = part === 0 ? 0 : Math.max(kyLim + 1, H - kyLim);
        const k1 = part === 0 ? kyLim + 1 : H;
        for (let ky = k0; ky < k1; ky++) {
          const i = 2 * (row + ky);
          const j = 2 * (rowM + kyMirror[ky]);
          const rho = Math.sqrt(fx2 + fy2[ky]) * invDr;
          const bin = rho | 0;
          if (bin >= lastBin) {
            s[i] = 0;
            s[i + 1] = 0;
            s[j] = 0;
            s[j + 1] = 0;
            continue;
          }
          const w = rho - bin;
          const ha = haA[bin] + (haA[bin + 1] - haA[bin]) * w;
          const hp = hpA[bin] + (hpA[bin + 1] - hpA[bin]) * w;
          const ar = ha * XA[i] + hp * YA[i];
          const ai = ha * XA[i + 1] + hp * YA[i + 1];
          let br = 0;
          let bi = 0;
          if (useB) {
            const hb = haB[bin] + (haB[bin + 1] - haB[bin]) * w;
            const pb = hpB[bin] + (hpB[bin + 1] - hpB[bin]) * w;
            br = hb * XB[i] + pb * YB[i];
            bi = hb * XB[i + 1] + pb * YB[i + 1];
          }
          // Z = A + iB at f; at -f: conj(A) + i conj(B)
          s[i] = ar - bi;
          s[i + 1] = ai + br;
          s[j] = ar + bi;
          s[j + 1] = br - ai;
        }
      }
    }
    fft.inverse(rowStart, rowCount, false);
  }

  dispose(): void {
    this.pool.dispose();
    this.fields = [];
  }
}
