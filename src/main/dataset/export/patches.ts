/**
 * 224x224 patches of a frame and the blank-patch discriminant (low contrast or low gradient energy).
 * Blankness is decided on the stack's plane nearest focus and applied to the whole column of planes, so a patch
 * location is kept or dropped for every defocus alike (deciding per plane would drop far-defocus planes, which
 * look blank, and bias the label distribution).
 */
import type { RawImage } from '../codec';

export interface PatchSpec {
  x: number;
  y: number;
}

export interface BlankThresholds {
  /** Minimum std/mean of the luminance. */
  minContrast: number;
  /** Minimum mean squared gradient of the luminance (in [0, 1] units, central differences). */
  minGradient: number;
}

export const DEFAULT_BLANK: BlankThresholds = { minContrast: 0.04, minGradient: 2e-4 };

/** Patch origins on a regular grid (stride = size: non-overlapping), covering what fits in the frame. */
export function patchGrid(width: number, height: number, size = 224, stride = size): PatchSpec[] {
  const out: PatchSpec[] = [];
  for (let y = 0; y + size <= height; y += stride) for (let x = 0; x + size <= width; x += stride) out.push({ x, y });
  return out;
}

/** Copies one patch out of an interleaved raw image. */
export function cropPatch(img: RawImage, p: PatchSpec, size = 224): Uint8Array | Uint16Array {
  const c = img.channels;
  const out = img.data instanceof Uint16Array ? new Uint16Array(size * size * c) : new Uint8Array(size * size * c);
  const rowLen = size * c;
  for (let y = 0; y < size; y++) {
    const src = ((p.y + y) * img.width + p.x) * c;
    out.set(img.data.subarray(src, src + rowLen), y * rowLen);
  }
  return out;
}

/** Contrast (std/mean) and gradient energy of a patch's luminance. */
export function patchContent(img: RawImage, p: PatchSpec, size = 224): { contrast: number; gradient: number } {
  const c = img.channels;
  const scale = 1 / (img.bitDepth === 16 ? 65535 : 255);
  const lum = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = ((p.y + y) * img.width + p.x + x) * c;
      lum[y * size + x] =
        c === 1
          ? img.data[i] * scale
          : (0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]) * scale;
    }
  }
  let sum = 0;
  for (let i = 0; i < lum.length; i++) sum += lum[i];
  const mean = sum / lum.length;
  let ss = 0;
  let g = 0;
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      const i = y * size + x;
      const gx = (lum[i + 1] - lum[i - 1]) / 2;
      const gy = (lum[i + size] - lum[i - size]) / 2;
      g += gx * gx + gy * gy;
    }
  }
  for (let i = 0; i < lum.length; i++) ss += (lum[i] - mean) ** 2;
  return {
    contrast: mean > 0 ? Math.sqrt(ss / lum.length) / mean : 0,
    gradient: g / ((size - 2) * (size - 2)),
  };
}

export function isBlank(content: { contrast: number; gradient: number }, t: BlankThresholds = DEFAULT_BLANK): boolean {
  return content.contrast < t.minContrast || content.gradient < t.minGradient;
}
