/**
 * 2-D complex FFTs on PFFFT (Julien Pommier's FFT, compiled to WebAssembly with SIMD by @echogarden/pffft-wasm).
 *
 * Chosen by measurement (node 20, this 2-core machine, shared with other jobs; one 2-D complex forward FFT,
 * median of 5, ms; power-of-2-only libraries run at the next power of 2 of each axis, as they would have to):
 *
 * | grid (real use)                                  | fft.js | kissfft-js | ndarray-fft | webfft (kissWasm) | @thi.ng/dsp | pffft-wasm scalar | pffft-wasm SIMD |
 * |--------------------------------------------------|--------|------------|-------------|-------------------|-------------|-------------------|-----------------|
 * | 1440x1152 (20x, 1280x960 ROI + defocus margin)   | 601 (2048^2) | 268  | 1047 (2048^2) | 590 (2048^2)    | 1420 (2048^2) | 120             | 62              |
 * | 1024x768  (40x, 2592x1944 rendered at 3x pitch)  | 118 (1024^2) | 61   | 277 (1024^2)  | 106 (1024^2)    | 181 (1024^2)  | 56              | 31              |
 * | 2592x2304 (20x, full 2448x2048 sensor + margin)  | 2140 (4096^2)| 595  | skipped       | 1041 (4096^2)   | skipped       | 193             | 108             |
 *
 * Row transforms of 1440x1152 take ~9 ms in PFFFT; the rest is the transpose between the two passes, which is done
 * once per 2-D transform: the spectrum is kept TRANSPOSED (row = kx, column = ky) so the inverse starts where the
 * forward ended.
 *
 * Sign convention (checked by test/unit/optics/fft.test.ts): forward X[k] = sum x[n] exp(-2*pi*i*k*n/N), inverse
 * exp(+...) scaled by 1/N here (PFFFT itself leaves it unscaled).
 */
import pffftFactory from '@echogarden/pffft-wasm/simd';

export interface PffftModule {
  HEAPF32: Float32Array;
  _pffft_new_setup(n: number, transform: number): number;
  _pffft_destroy_setup(setup: number): void;
  _pffft_transform_ordered(setup: number, input: number, output: number, work: number, direction: number): void;
  _pffft_aligned_malloc(bytes: number): number;
  _pffft_aligned_free(ptr: number): void;
}

const PFFFT_COMPLEX = 1;
const FORWARD = 0;
const BACKWARD = 1;

let modulePromise: Promise<PffftModule> | undefined;

/** Loads the WebAssembly module once per thread. */
export function loadFftModule(): Promise<PffftModule> {
  modulePromise ??= pffftFactory();
  return modulePromise;
}

/** True when n is a size PFFFT accepts for complex transforms: 16 * 2^a * 3^b * 5^c. */
export function isFftSize(n: number): boolean {
  if (!Number.isInteger(n) || n < 16 || n % 16 !== 0) return false;
  let m = n / 16;
  for (const p of [2, 3, 5]) while (m % p === 0) m /= p;
  return m === 1;
}

/** Smallest valid FFT size >= n. */
export function nextFftSize(n: number): number {
  let m = Math.max(16, Math.ceil(n / 16) * 16);
  while (!isFftSize(m)) m += 16;
  return m;
}

/** Transposes an H x W matrix of complex float32 pairs (viewed as float64 words) into W x H. */
function transposeComplex(
  src: Float64Array,
  dst: Float64Array,
  h: number,
  w: number,
  rowStart: number,
  rowCount: number,
): void {
  // src is W x H (rows = kx), we want rows y in [rowStart, rowStart+rowCount) of the H x W result.
  const B = 16;
  for (let x0 = 0; x0 < w; x0 += B) {
    const x1 = Math.min(w, x0 + B);
    for (let y0 = rowStart; y0 < rowStart + rowCount; y0 += B) {
      const y1 = Math.min(rowStart + rowCount, y0 + B);
      for (let x = x0; x < x1; x++) {
        let s = x * h + y0;
        let d = (y0 - rowStart) * w + x;
        for (let y = y0; y < y1; y++) {
          dst[d] = src[s];
          s++;
          d += w;
        }
      }
    }
  }
}

/**
 * A planned H x W complex 2-D FFT with two buffers in the WebAssembly heap:
 * `spatial` (H rows x W columns, interleaved re/im) and `spectral` (W rows = kx, H columns = ky: transposed).
 */
export class Fft2D {
  private readonly rowSetup: number;
  private readonly colSetup: number;
  private readonly pSpatial: number;
  private readonly pSpectral: number;
  private readonly pWork: number;
  private disposed = false;

  constructor(
    private readonly mod: PffftModule,
    readonly height: number,
    readonly width: number,
  ) {
    if (!isFftSize(width) || !isFftSize(height)) throw new Error(`FFT size ${width}x${height} is not 16*2^a*3^b*5^c`);
    this.rowSetup = mod._pffft_new_setup(width, PFFFT_COMPLEX);
    this.colSetup = mod._pffft_new_setup(height, PFFFT_COMPLEX);
    const bytes = 8 * width * height;
    this.pSpatial = mod._pffft_aligned_malloc(bytes);
    this.pSpectral = mod._pffft_aligned_malloc(bytes);
    this.pWork = mod._pffft_aligned_malloc(8 * Math.max(width, height));
    if (!this.rowSetup || !this.colSetup || !this.pSpatial || !this.pSpectral || !this.pWork) {
      throw new Error(`Out of WebAssembly memory for a ${width}x${height} FFT`);
    }
  }

  /** Interleaved complex view of the spatial buffer (re-read after any allocation: the heap can grow). */
  spatial(): Float32Array {
    return new Float32Array(this.mod.HEAPF32.buffer, this.pSpatial, 2 * this.width * this.height);
  }

  /** Interleaved complex view of the transposed spectrum: element (kx, ky) at 2*(kx*H + ky). */
  spectral(): Float32Array {
    return new Float32Array(this.mod.HEAPF32.buffer, this.pSpectral, 2 * this.width * this.height);
  }

  /** spatial -> spectral (unscaled, exp(-i...)). The spatial buffer is overwritten. */
  forward(): void {
    const { mod, width: w, height: h } = this;
    for (let y = 0; y < h; y++) {
      const p = this.pSpatial + 8 * y * w;
      mod._pffft_transform_ordered(this.rowSetup, p, p, this.pWork, FORWARD);
    }
    const src = new Float64Array(mod.HEAPF32.buffer, this.pSpatial, w * h);
    const dst = new Float64Array(mod.HEAPF32.buffer, this.pSpectral, w * h);
    // spatial is H x W; write it as W x H
    transposeRows(src, dst, h, w);
    for (let x = 0; x < w; x++) {
      const p = this.pSpectral + 8 * x * h;
      mod._pffft_transform_ordered(this.colSetup, p, p, this.pWork, FORWARD);
    }
  }

  /**
   * spectral -> spatial, scaled by 1/(H*W) unless `scale` is false (callers that pre-scale their spectra skip
   * a pass over the data). Only output rows [rowStart, rowStart+rowCount) are produced; they land
   * at the start of the spatial buffer (row y at offset 2*(y-rowStart)*W). The spectral buffer is overwritten.
   */
  inverse(rowStart = 0, rowCount = this.height, scale = true): void {
    const { mod, width: w, height: h } = this;
    for (let x = 0; x < w; x++) {
      const p = this.pSpectral + 8 * x * h;
      mod._pffft_transform_ordered(this.colSetup, p, p, this.pWork, BACKWARD);
    }
    const src = new Float64Array(mod.HEAPF32.buffer, this.pSpectral, w * h);
    const dst = new Float64Array(mod.HEAPF32.buffer, this.pSpatial, w * h);
    transposeComplex(src, dst, h, w, rowStart, rowCount);
    for (let y = 0; y < rowCount; y++) {
      const p = this.pSpatial + 8 * y * w;
      mod._pffft_transform_ordered(this.rowSetup, p, p, this.pWork, BACKWARD);
    }
    if (!scale) return;
    const out = new Float32Array(mod.HEAPF32.buffer, this.pSpatial, 2 * w * rowCount);
    const s = 1 / (w * h);
    for (let i = 0; i < out.length; i++) out[i] *= s;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const m = this.mod;
    m._pffft_aligned_free(this.pSpatial);
    m._pffft_aligned_free(this.pSpectral);
    m._pffft_aligned_free(this.pWork);
    m._pffft_destroy_setup(this.rowSetup);
    m._pffft_destroy_setup(this.colSetup);
  }
}

/** H x W -> W x H transpose of complex pairs (float64 words), cache-blocked. */
function transposeRows(src: Float64Array, dst: Float64Array, h: number, w: number): void {
  const B = 16;
  for (let y0 = 0; y0 < h; y0 += B) {
    const y1 = Math.min(h, y0 + B);
    for (let x0 = 0; x0 < w; x0 += B) {
      const x1 = Math.min(w, x0 + B);
      for (let y = y0; y < y1; y++) {
        let s = y * w + x0;
        let d = x0 * h + y;
        for (let x = x0; x < x1; x++) {
          dst[d] = src[s];
          s++;
          d += h;
        }
      }
    }
  }
}

/** Reusable plans keyed by size (one per thread). */
export class FftPool {
  private readonly plans = new Map<string, Fft2D>();
  constructor(private readonly mod: PffftModule) {}
  get(height: number, width: number): Fft2D {
    const key = `${height}x${width}`;
    let p = this.plans.get(key);
    if (!p) {
      p = new Fft2D(this.mod, height, width);
      this.plans.set(key, p);
    }
    return p;
  }
  dispose(): void {
    for (const p of this.plans.values()) p.dispose();
    this.plans.clear();
  }
}
