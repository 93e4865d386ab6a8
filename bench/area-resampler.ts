/**
 * A separable area-average (shrinking) / bilinear (enlarging) resampler in plain TypeScript: exact mean preservation,
 * the app's first resampler. bench/inference.ts --resample compares it with sharp; sharp won on speed (about 10x on
 * 2592x1944 frames) at a comparable error against the ideal camera image, so the app resamples with sharp
 * (src/main/inference/resample.ts) and this one stays here as the reference of that comparison.
 */
import type { Raster } from '../src/main/inference/resample';

/** For each output position: `taps` input indices and weights (weights of one output sum to 1). */
interface AxisTaps {
  taps: number;
  index: Int32Array;
  weight: Float32Array;
}

function areaTaps(inSize: number, outSize: number): AxisTaps {
  const ratio = inSize / outSize; // input px per output px (> 1)
  const taps = Math.ceil(ratio) + 1;
  const index = new Int32Array(outSize * taps);
  const weight = new Float32Array(outSize * taps);
  for (let j = 0; j < outSize; j++) {
    const lo = j * ratio;
    const hi = Math.min(inSize, (j + 1) * ratio);
    const first = Math.floor(lo);
    for (let t = 0; t < taps; t++) {
      const i = first + t;
      const w = i < inSize ? Math.max(0, Math.min(hi, i + 1) - Math.max(lo, i)) : 0;
      index[j * taps + t] = Math.min(i, inSize - 1);
      weight[j * taps + t] = w / (hi - lo);
    }
  }
  return { taps, index, weight };
}

function bilinearTaps(inSize: number, outSize: number): AxisTaps {
  const index = new Int32Array(outSize * 2);
  const weight = new Float32Array(outSize * 2);
  const ratio = inSize / outSize;
  for (let j = 0; j < outSize; j++) {
    const u = Math.min(inSize - 1, Math.max(0, (j + 0.5) * ratio - 0.5));
    const i0 = Math.floor(u);
    const f = u - i0;
    index[2 * j] = i0;
    index[2 * j + 1] = Math.min(i0 + 1, inSize - 1);
    weight[2 * j] = 1 - f;
    weight[2 * j + 1] = f;
  }
  return { taps: 2, index, weight };
}

function axisTaps(inSize: number, outSize: number): AxisTaps {
  return outSize < inSize ? areaTaps(inSize, outSize) : bilinearTaps(inSize, outSize);
}

function resampleRows(src: Raster, outWidth: number): Float32Array {
  const { width, height, channels: ch } = src;
  const { taps, index, weight } = axisTaps(width, outWidth);
  // Pre-multiplied sample offsets (index * channels) keep the inner loop to loads and multiply-adds.
  const offset = Int32Array.from(index, (i) => i * ch);
  const out = new Float32Array(height * outWidth * ch);
  const data = src.data;
  if (ch === 3) {
    for (let y = 0; y < height; y++) {
      const rowIn = y * width * 3;
      let o = y * outWidth * 3;
      for (let j = 0, k = 0; j < outWidth; j++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let t = 0; t < taps; t++, k++) {
          const i = rowIn + offset[k];
          const w = weight[k];
          r += data[i] * w;
          g += data[i + 1] * w;
          b += data[i + 2] * w;
        }
        out[o++] = r;
        out[o++] = g;
        out[o++] = b;
      }
    }
    return out;
  }
  for (let y = 0; y < height; y++) {
    const rowIn = y * width * ch;
    const rowOut = y * outWidth * ch;
    for (let c = 0; c < ch; c++) {
      for (let j = 0, k = 0; j < outWidth; j++) {
        let acc = 0;
        for (let t = 0; t < taps; t++, k++) acc += data[rowIn + offset[k] + c] * weight[k];
        out[rowOut + j * ch + c] = acc;
      }
    }
  }
  return out;
}

function resampleColumns(
  data: Raster['data'] | Float32Array,
  width: number,
  height: number,
  ch: number,
  outHeight: number,
): Float32Array {
  const { taps, index, weight } = axisTaps(height, outHeight);
  const rowLength = width * ch;
  const out = new Float32Array(outHeight * rowLength);
  for (let j = 0; j < outHeight; j++) {
    const rowOut = j * rowLength;
    for (let t = 0; t < taps; t++) {
      const w = weight[j * taps + t];
      if (w === 0) continue;
      const rowIn = index[j * taps + t] * rowLength;
      for (let i = 0; i < rowLength; i++) out[rowOut + i] += data[rowIn + i] * w;
    }
  }
  return out;
}

/** Resamples to outWidth x outHeight; values keep their units (float32 out). */
export function areaResample(
  src: Raster,
  outWidth: number,
  outHeight: number,
): { width: number; height: number; data: Float32Array } {
  if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth < 1 || outHeight < 1) {
    throw new RangeError(`cannot resample to ${outWidth}x${outHeight}`);
  }
  const rows = outWidth === src.width ? src.data : resampleRows(src, outWidth);
  const data =
    outHeight !== src.height
      ? resampleColumns(rows, outWidth, src.height, src.channels, outHeight)
      : rows instanceof Float32Array
        ? rows
        : new Float32Array(rows);
  return { width: outWidth, height: outHeight, data };
}
