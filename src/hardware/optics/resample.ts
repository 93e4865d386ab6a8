/** Grid -> camera pixels: copy, separable cubic upsampling (Keys a = -0.5) or m x m binning. */
import { upCoordinate, type Geometry } from './geometry';

interface CubicTaps {
  idx: Int32Array;
  w: Float32Array;
}

function keys(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return (a + 2) * t * t * t - (a + 3) * t * t + 1;
  if (t < 2) return a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a;
  return 0;
}

const tapCache = new Map<string, CubicTaps>();

function cubicTaps(n: number, factor: number): CubicTaps {
  const key = `${n}|${factor}`;
  let t = tapCache.get(key);
  if (!t) {
    const idx = new Int32Array(n);
    const w = new Float32Array(4 * n);
    for (let i = 0; i < n; i++) {
      const u = upCoordinate(i, factor);
      const j = Math.floor(u);
      const f = u - j;
      idx[i] = j - 1;
      for (let k = 0; k < 4; k++) w[4 * i + k] = keys(f - (k - 1));
    }
    t = { idx, w };
    tapCache.set(key, t);
  }
  return t;
}

/**
 * Reads one content plane (row stride `stride`, `stepX` floats between samples, starting at `base`) and writes
 * the camera plane `out` (outWidth x outHeight).
 */
export function contentToCamera(
  g: Geometry,
  src: Float32Array,
  base: number,
  stride: number,
  stepX: number,
  out: Float32Array,
  scratch: Float32Array,
): void {
  const { outWidth: W, outHeight: H } = g;
  if (g.mode === 'same') {
    for (let y = 0; y < H; y++) {
      let s = base + y * stride;
      const o = y * W;
      for (let x = 0; x < W; x++, s += stepX) out[o + x] = src[s];
    }
    return;
  }
  if (g.mode === 'bin') {
    const m = g.factor;
    const inv = 1 / (m * m);
    out.fill(0, 0, W * H);
    for (let cy = 0; cy < g.contentHeight; cy++) {
      const oy = Math.floor(cy / m) * W;
      let s = base + cy * stride;
      for (let cx = 0; cx < g.contentWidth; cx++, s += stepX) out[oy + Math.floor(cx / m)] += src[s] * inv;
    }
    return;
  }
  // 'up': compact the content plane, horizontal pass into scratch (contentHeight x W), then vertical pass.
  const cw = g.contentWidth;
  const ch = g.contentHeight;
  const plane = scratch.subarray(ch * W, ch * W + cw * ch);
  for (let cy = 0; cy < ch; cy++) {
    let s = base + cy * stride;
    const o = cy * cw;
    for (let cx = 0; cx < cw; cx++, s += stepX) plane[o + cx] = src[s];
  }
  const tx = cubicTaps(W, g.factor);
  const ty = cubicTaps(H, g.factor);
  const txi = tx.idx;
  const txw = tx.w;
  for (let cy = 0; cy < ch; cy++) {
    const rowBase = cy * cw;
    const o = cy * W;
    for (let x = 0; x < W; x++) {
      const s = rowBase + txi[x];
      const w = 4 * x;
      scratch[o + x] =
        txw[w] * plane[s] + txw[w + 1] * plane[s + 1] + txw[w + 2] * plane[s + 2] + txw[w + 3] * plane[s + 3];
    }
  }
  for (let y = 0; y < H; y++) {
    const r = ty.idx[y] * W;
    const w0 = ty.w[4 * y];
    const w1 = ty.w[4 * y + 1];
    const w2 = ty.w[4 * y + 2];
    const w3 = ty.w[4 * y + 3];
    const o = y * W;
    const r1 = r + W;
    const r2 = r + 2 * W;
    const r3 = r + 3 * W;
    for (let x = 0; x < W; x++) {
      out[o + x] = w0 * scratch[r + x] + w1 * scratch[r1 + x] + w2 * scratch[r2 + x] + w3 * scratch[r3 + x];
    }
  }
}

export function scratchSize(g: Geometry): number {
  return g.mode === 'up' ? g.contentHeight * g.outWidth + g.contentWidth * g.contentHeight : 0;
}
