/**
 * Camera model: relative intensity -> photo-electrons -> noise -> digital numbers.
 *   electrons = I * vignetting(x, y) * whiteBalance_c * electronsPerMsAtWhite * exposureMs
 *   + Poisson shot noise (exact below 30 e-, normal approximation above) + Gaussian read noise
 *   DN = round(encode(clamp(e / fullWell, 0, 1)) * (2^bits - 1)), encode = sRGB (default for 8-bit) or linear.
 * A colour camera is modelled as three co-sited channels (no Bayer mosaic / demosaicing).
 */
import type { CameraModelOptions } from '../../shared/optics';
import type { IntensityImage } from './render';
import { getSmallNormalTable, mixSeed, Rng } from './rng';

export interface ResolvedCameraModel {
  exposureMs: number;
  electronsPerMsAtWhite: number;
  fullWellE: number;
  readNoiseE: number;
  vignetting: number;
  whiteBalance: [number, number, number];
  outputEncoding?: 'srgb' | 'linear';
  shotNoise: boolean;
}

export const CAMERA_DEFAULTS: ResolvedCameraModel = {
  exposureMs: 10,
  electronsPerMsAtWhite: 600,
  fullWellE: 10_500,
  readNoiseE: 2.4,
  vignetting: 0.15,
  whiteBalance: [1, 1, 1],
  shotNoise: true,
};

export function resolveCameraModel(c: CameraModelOptions | undefined): ResolvedCameraModel {
  return {
    exposureMs: c?.exposureMs ?? CAMERA_DEFAULTS.exposureMs,
    electronsPerMsAtWhite: c?.electronsPerMsAtWhite ?? CAMERA_DEFAULTS.electronsPerMsAtWhite,
    fullWellE: c?.fullWellE ?? CAMERA_DEFAULTS.fullWellE,
    readNoiseE: c?.readNoiseE ?? CAMERA_DEFAULTS.readNoiseE,
    vignetting: c?.vignetting ?? CAMERA_DEFAULTS.vignetting,
    whiteBalance: (c?.whiteBalance ?? CAMERA_DEFAULTS.whiteBalance) as [number, number, number],
    ...(c?.outputEncoding ? { outputEncoding: c.outputEncoding } : {}),
    shotNoise: c?.shotNoise ?? CAMERA_DEFAULTS.shotNoise,
  };
}

/** Linear light in [0, 1] -> the sRGB-encoded value (IEC 61966-2-1). */
export function srgbEncode(v: number): number {
  return v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
}

/** The sRGB-encoded value in [0, 1] -> linear light: the inverse of srgbEncode. */
export function srgbDecode(v: number): number {
  return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
}

const LUT_SIZE = 16384;
const lutCache = new Map<string, Uint16Array>();

/** Linear fraction of full well (quantised to 1/LUT_SIZE) -> digital number. */
function encodeLut(encoding: 'srgb' | 'linear', maxDn: number): Uint16Array {
  const key = `${encoding}|${maxDn}`;
  let lut = lutCache.get(key);
  if (!lut) {
    lut = new Uint16Array(LUT_SIZE + 1);
    for (let i = 0; i <= LUT_SIZE; i++) {
      const v = i / LUT_SIZE;
      const e = encoding === 'srgb' ? srgbEncode(v) : v;
      lut[i] = Math.round(e * maxDn);
    }
    lutCache.set(key, lut);
  }
  return lut;
}

export interface DigitisedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  bitDepth: 8 | 12 | 16;
  data: Uint8Array | Uint16Array;
}

/**
 * Digitises one channel plane into a planar array. Noise uses an inlined sfc32 generator seeded from `seed`
 * (per channel) and a 4096-quantile normal table (two deviates per 32-bit draw, +-3.5 sigma): this loop runs
 * for every pixel of every frame.
 */
export function digitisePlane(
  p: Float32Array,
  width: number,
  height: number,
  channel: number,
  nChannels: number,
  cam: ResolvedCameraModel,
  bitDepth: 8 | 12 | 16,
  seed: number,
  rowStart = 0,
  rowEnd = height,
): Uint8Array | Uint16Array {
  const maxDn = 2 ** bitDepth - 1;
  const encoding = cam.outputEncoding ?? (bitDepth === 8 ? 'srgb' : 'linear');
  const lut = encodeLut(encoding, maxDn);
  const rows = rowEnd - rowStart;
  const out = bitDepth === 8 ? new Uint8Array(width * rows) : new Uint16Array(width * rows);
  const lutScale = LUT_SIZE / cam.fullWellE;
  // linear output is quantised exactly; the LUT (1/16384 of full well) serves the sRGB curve
  const linear = encoding === 'linear';
  const dnScale = maxDn / cam.fullWellE;
  const rn = cam.readNoiseE;
  const rn2 = rn * rn;
  const base = cam.electronsPerMsAtWhite * cam.exposureMs;
  const gain = (nChannels === 3 ? cam.whiteBalance[channel] : cam.whiteBalance[1]) * base;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const invR2 = 1 / (cx * cx + cy * cy || 1);
  const vig = cam.vignetting;
  const vx = new Float32Array(width);
  for (let x = 0; x < width; x++) vx[x] = (x - cx) * (x - cx) * invR2;
  const shot = cam.shotNoise;
  const table = getSmallNormalTable();
  for (let y = rowStart; y < rowEnd; y++) {
    // one noise stream per row: any split of the rows between threads gives the same frame
    const slow = new Rng(mixSeed(seed, y, 0x51));
    const init = new Rng(mixSeed(seed, y));
    let a = init.nextU32() | 0;
    let b = init.nextU32() | 0;
    let c = init.nextU32() | 0;
    let d = init.nextU32() | 0;
    let spare = false;
    let spareIdx = 0;
    const dy2 = (y - cy) * (y - cy) * invR2;
    const src = y * width;
    const row = (y - rowStart) * width;
    for (let x = 0; x < width; x++) {
      const v = p[src + x];
      let e = (v > 0 ? v : 0) * gain * (1 - vig * (vx[x] + dy2));
      if (shot && e <= 30) {
        e = slow.poisson(e) + rn * slow.normal();
      } else if (shot || rn > 0) {
        // one sfc32 step gives two normal deviates (top 12 bits of each half index the inverse-CDF table)
        let z: number;
        if (spare) {
          z = table[spareIdx];
          spare = false;
        } else {
          const t = (((a + b) | 0) + d) | 0;
          d = (d + 1) | 0;
          a = b ^ (b >>> 9);
          b = (c + (c << 3)) | 0;
          c = (c << 21) | (c >>> 11);
          c = (c + t) | 0;
          z = table[t >>> 20];
          spareIdx = (t >>> 4) & 0xfff;
          spare = true;
        }
        e += (shot ? Math.sqrt(e + rn2) : rn) * z;
      }
      if (linear) {
        let q = e * dnScale;
        q = q < 0 ? 0 : q > maxDn ? maxDn : q;
        out[row + x] = (q + 0.5) | 0;
      } else {
        let q = e * lutScale;
        q = q < 0 ? 0 : q > LUT_SIZE ? LUT_SIZE : q;
        out[row + x] = lut[(q + 0.5) | 0];
      }
    }
  }
  return out;
}

/** Interleaves planar channels into RGBRGB... (or returns the single mono plane). */
export function interleave(planes: (Uint8Array | Uint16Array)[], n: number): Uint8Array | Uint16Array {
  if (planes.length === 1) return planes[0];
  const out = planes[0] instanceof Uint8Array ? new Uint8Array(n * 3) : new Uint16Array(n * 3);
  const [r, g, b] = planes;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[j] = r[i];
    out[j + 1] = g[i];
    out[j + 2] = b[i];
  }
  return out;
}

/** Turns relative intensity into a noisy, vignetted, quantised frame (interleaved RGB or mono); per-channel seeds. */
export function digitise(
  img: IntensityImage,
  cam: ResolvedCameraModel,
  bitDepth: 8 | 12 | 16,
  seed: number,
): DigitisedImage {
  const { width: W, height: H, planes } = img;
  const nc = planes.length as 1 | 3;
  const out = planes.map((p, c) =>
    digitisePlane(p, W, H, nc === 3 ? c : 1, nc, cam, bitDepth, mixSeed(seed, nc === 3 ? c : 1)),
  );
  return { width: W, height: H, channels: nc, bitDepth, data: interleave(out, W * H) };
}
