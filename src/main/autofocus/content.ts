/**
 * Which patches carry focusable content: the blank-patch discriminant of the single-shot papers (a tile of empty
 * glass, of background or of clipped pixels says nothing about defocus), made robust to the two things that fool a
 * plain contrast test on a microscope: camera noise (high pixel variance, no structure) and defocus itself (a tissue
 * tile 10 um out of focus has little gradient energy but keeps its low-frequency contrast).
 *
 * Measured on a cheap view: in each tile, blocks of BLOCK x BLOCK px sampled every STRIDE px (16 samples per block).
 *   mean       mean luminance (0..1 of full scale)
 *   contrast   sqrt(variance of the block means about their best-fit plane) / mean: contrast of the structure coarser
 *              than a block. Pixel noise is averaged over 16 samples, so it keeps 1/16 of its variance; an illumination
 *              or vignetting ramp across the tile is the plane, removed.
 *   structure  that variance / (that variance + the mean variance within blocks): ~1/16 for white noise, ~0.9 for
 *              tissue blurred by defocus, ~0.6 for tissue in focus.
 *   saturated  fraction of samples with a channel at or above 98 % of full scale.
 * Thresholds measured on virtual-microscope frames (blank glass, clipped, noise, dark, tissue at -10..+10 um) and on
 * the real wafer stack: see README.md in this folder and `npm run bench:autofocus -- --content`.
 */
import type { Raster } from '../inference/resample';

export const BLOCK = 8;
export const STRIDE = 2;

export interface ContentThresholds {
  /** Minimum structure contrast (std of block means / mean). */
  minContrast: number;
  /** Minimum share of the variance that is structure rather than pixel noise. */
  minStructure: number;
  /** Most of the tile that may be clipped. */
  maxSaturated: number;
  /** Darker tiles (mean luminance below this) are refused: a closed shutter or no illumination. */
  minMean: number;
}

export const DEFAULT_CONTENT_THRESHOLDS: ContentThresholds = {
  minContrast: 0.015,
  minStructure: 0.15,
  maxSaturated: 0.25,
  minMean: 0.04,
};

export interface PatchContent {
  mean: number;
  contrast: number;
  structure: number;
  saturated: number;
}

export type ContentVerdict = 'content' | 'blank' | 'noise' | 'saturated' | 'dark';

export interface Tile {
  x: number;
  y: number;
}

/** Content measures of every tile (top-left x, y; size w x h in the raster's pixels). */
export function measureContent(
  image: Raster,
  fullScale: number,
  tiles: ReadonlyArray<Tile>,
  w: number,
  h: number,
): PatchContent[] {
  return tiles.map((t) => measureTile(image, fullScale, t.x, t.y, w, h));
}

function measureTile(image: Raster, fullScale: number, x0: number, y0: number, w: number, h: number): PatchContent {
  const { data, width, channels } = image;
  const bx = Math.floor(w / BLOCK);
  const by = Math.floor(h / BLOCK);
  const satLevel = 0.98 * fullScale;
  const scale = 1 / fullScale;
  const cu = (bx - 1) / 2;
  const cv = (by - 1) / 2;
  let sum = 0;
  let sumSq = 0;
  let blockSum = 0;
  let blockSumSq = 0;
  let blockU = 0;
  let blockV = 0;
  let saturated = 0;
  let n = 0;
  for (let j = 0; j < by; j++) {
    for (let i = 0; i < bx; i++) {
      let s = 0;
      let m = 0;
      for (let yy = 0; yy < BLOCK; yy += STRIDE) {
        let p = ((y0 + j * BLOCK + yy) * width + x0 + i * BLOCK) * channels;
        const step = STRIDE * channels;
        for (let xx = 0; xx < BLOCK; xx += STRIDE, p += step) {
          let v: number;
          if (channels === 1) {
            v = data[p];
            if (v >= satLevel) saturated++;
          } else {
            const r = data[p];
            const g = data[p + 1];
            const b = data[p + 2];
            v = 0.299 * r + 0.587 * g + 0.114 * b;
            if (r >= satLevel || g >= satLevel || b >= satLevel) saturated++;
          }
          v *= scale;
          s += v;
          sumSq += v * v;
          m++;
        }
      }
      sum += s;
      n += m;
      const bm = s / m;
      blockSum += bm;
      blockSumSq += bm * bm;
      blockU += bm * (i - cu);
      blockV += bm * (j - cv);
    }
  }
  const blocks = bx * by;
  if (n === 0 || blocks === 0) return { mean: 0, contrast: 0, structure: 0, saturated: 0 };
  const mean = sum / n;
  const blockMean = blockSum / blocks;
  // Remove the best plane through the block means first: an illumination or vignetting ramp across a tile is not
  // content. On the full regular grid the two slopes are orthogonal, so their sums of squares simply subtract.
  const su2 = (by * bx * (bx * bx - 1)) / 12;
  const sv2 = (bx * by * (by * by - 1)) / 12;
  const ramp = (su2 > 0 ? (blockU * blockU) / su2 : 0) + (sv2 > 0 ? (blockV * blockV) / sv2 : 0);
  const between = Math.max(0, (blockSumSq - blocks * blockMean * blockMean - ramp) / blocks);
  // Within-block variance: the samples' variance less the variance of the block means (all blocks hold m samples).
  const within = Math.max(0, sumSq / n - mean * mean - (blockSumSq / blocks - blockMean * blockMean));
  const total = between + within;
  return {
    mean,
    contrast: mean > 0 ? Math.sqrt(between) / mean : 0,
    structure: total > 0 ? Math.min(1, between / total) : 0,
    saturated: saturated / n,
  };
}

export function contentVerdict(c: PatchContent, t: ContentThresholds = DEFAULT_CONTENT_THRESHOLDS): ContentVerdict {
  if (c.saturated > t.maxSaturated) return 'saturated';
  if (c.mean < t.minMean) return 'dark';
  if (c.contrast < t.minContrast) return 'blank';
  if (c.structure < t.minStructure) return 'noise';
  return 'content';
}

/** How good a tile is for the network: more structure contrast first, clipped pixels count against it. */
export function contentScore(c: PatchContent): number {
  return c.contrast * (1 - c.saturated);
}

const REASONS: Record<Exclude<ContentVerdict, 'content'>, string> = {
  blank: 'the field is blank (no contrast: empty glass or background)',
  noise: 'the field shows only noise (no structure coarser than a few pixels)',
  saturated: 'the frame is saturated (clipped pixels: lower the exposure or the light)',
  dark: 'the frame is dark (no light reaches the camera)',
};

/** Why most of a frame's refused tiles were refused. */
export function mostCommonRefusal(verdicts: ReadonlyArray<ContentVerdict>): Exclude<ContentVerdict, 'content'> {
  const counts = new Map<Exclude<ContentVerdict, 'content'>, number>();
  for (const v of verdicts) if (v !== 'content') counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: Exclude<ContentVerdict, 'content'> = 'blank';
  let bestN = -1;
  for (const [v, k] of counts) {
    if (k > bestN) {
      best = v;
      bestN = k;
    }
  }
  return best;
}

/** One sentence for a frame whose tiles were refused: the most common reason among them. */
export function noContentReason(verdicts: ReadonlyArray<ContentVerdict>): string {
  return REASONS[mostCommonRefusal(verdicts)];
}
