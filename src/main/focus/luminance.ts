/**
 * Luminance of a Frame-like pixel buffer, as Float32 in [0, 1] (divided by the full scale of the bit depth).
 * Rec. 601 weights. `step` > 1 subsamples rows and columns (fast live readouts on 5 MP frames).
 */
export interface PixelBuffer {
  width: number;
  height: number;
  channels: 1 | 3;
  bitDepth: 8 | 12 | 16;
  data: Uint8Array | Uint16Array;
}

export interface Luminance {
  data: Float32Array;
  width: number;
  height: number;
}

export function luminance(img: PixelBuffer, step = 1): Luminance {
  const s = Math.max(1, Math.floor(step));
  const w = Math.floor((img.width + s - 1) / s);
  const h = Math.floor((img.height + s - 1) / s);
  const out = new Float32Array(w * h);
  const scale = 1 / ((1 << img.bitDepth) - 1);
  const src = img.data;
  const rowStride = img.width * img.channels;
  let k = 0;
  if (img.channels === 1) {
    for (let y = 0; y < img.height; y += s) {
      const row = y * rowStride;
      for (let x = 0; x < img.width; x += s) out[k++] = src[row + x] * scale;
    }
  } else {
    const wr = 0.299 * scale;
    const wg = 0.587 * scale;
    const wb = 0.114 * scale;
    for (let y = 0; y < img.height; y += s) {
      const row = y * rowStride;
      for (let x = 0; x < img.width; x += s) {
        const i = row + x * 3;
        out[k++] = wr * src[i] + wg * src[i + 1] + wb * src[i + 2];
      }
    }
  }
  return { data: out, width: w, height: h };
}
