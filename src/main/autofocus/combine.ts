/**
 * From per-patch predictions to one defocus: the median (robust to the few patches a model gets badly wrong, e.g. a
 * fold or a bubble), a robust spread (1.4826 x MAD, the standard deviation for Gaussian errors), a confidence, and the
 * 3x3 region map. Also which patches to infer when a frame has more usable tiles than the time budget allows.
 */
import type { RegionMap } from '../../shared/autofocus';

export function median(values: ReadonlyArray<number>): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** 1.4826 x median absolute deviation: a standard deviation that ignores outliers. */
export function robustSpread(values: ReadonlyArray<number>, centre = median(values)): number {
  if (values.length < 2) return 0;
  return 1.4826 * median(values.map((v) => Math.abs(v - centre)));
}

/** Mean of the values left after dropping `fraction` of them at each end. */
export function trimmedMean(values: ReadonlyArray<number>, fraction = 0.2): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const k = Math.min(Math.floor(s.length * fraction), Math.floor((s.length - 1) / 2));
  const kept = s.slice(k, s.length - k);
  return kept.reduce((a, b) => a + b, 0) / kept.length;
}

/** The combined reading of a model trusted to name the side: the median and the robust spread around it. */
export function combineSigned(values: ReadonlyArray<number>): { defocusUm: number; spreadUm: number } {
  const defocusUm = median(values);
  return { defocusUm, spreadUm: robustSpread(values, defocusUm) };
}

/**
 * The combined reading of a model whose patches guess the side (side.ts): the median magnitude, on the side most
 * patches name (ties: the side of the signed median). A median over signed values would land between two groups
 * of patches that agree on |d| but split on the side, and their spread would read as disagreement.
 */
export function combineMagnitudeAndSide(values: ReadonlyArray<number>): { defocusUm: number; spreadUm: number } {
  const magnitudes = values.map(Math.abs);
  const magnitude = median(magnitudes);
  const vote = values.reduce((a, v) => a + Math.sign(v), 0);
  const side = vote !== 0 ? Math.sign(vote) : median(values) < 0 ? -1 : 1;
  return { defocusUm: side * magnitude, spreadUm: robustSpread(magnitudes, magnitude) };
}

export interface ConfidenceInput {
  /** Patches combined. */
  n: number;
  spreadUm: number;
  defocusUm: number;
  /** Kept patches / all patches of the frame. */
  keptFraction: number;
}

/**
 * Confidence in 0..1 = agreement x support x coverage:
 * - agreement 1 / (1 + (spread / s0)^2), s0 = 0.5 um + 0.15 |d|: a model's patch errors grow with |d|, so the
 *   same spread means less near focus (where a move of the spread is visible) than far from it;
 * - support 1 - exp(-n / 3): one patch 0.28, three 0.63, nine 0.95;
 * - coverage 0.6 + 0.4 min(1, kept fraction / 0.3): sparse content (a few cells in a blank field) is more often
 *   mis-read (dust, edges of the coverslip), but sparse fields are still worth focusing.
 */
export function confidenceOf(c: ConfidenceInput): number {
  if (!(c.n > 0) || !Number.isFinite(c.spreadUm) || !Number.isFinite(c.defocusUm)) return 0;
  const s0 = 0.5 + 0.15 * Math.abs(c.defocusUm);
  const agreement = 1 / (1 + (c.spreadUm / s0) ** 2);
  const support = 1 - Math.exp(-c.n / 3);
  const coverage = 0.6 + 0.4 * Math.min(1, Math.max(0, c.keptFraction) / 0.3);
  return Math.min(1, Math.max(0, agreement * support * coverage));
}

/** Region index 0..8 (row-major) of a tile by its centre in a frame of width x height. */
export function regionOf(cx: number, cy: number, width: number, height: number): number {
  const col = Math.min(2, Math.max(0, Math.floor((3 * cx) / width)));
  const row = Math.min(2, Math.max(0, Math.floor((3 * cy) / height)));
  return row * 3 + col;
}

/** Median defocus per region; null where a region has no prediction. */
export function regionMap(predictions: ReadonlyArray<{ region: number; defocusUm: number }>): RegionMap {
  const byRegion: number[][] = Array.from({ length: 9 }, () => []);
  for (const p of predictions) if (Number.isFinite(p.defocusUm)) byRegion[p.region]?.push(p.defocusUm);
  const map: RegionMap = [];
  for (let r = 0; r < 3; r++) {
    const row: (number | null)[] = [];
    for (let c = 0; c < 3; c++) {
      const v = byRegion[r * 3 + c];
      row.push(v.length ? median(v) : null);
    }
    map.push(row);
  }
  return map;
}

export interface Candidate {
  /** Index of the tile among all tiles of the frame. */
  index: number;
  region: number;
  score: number;
}

/**
 * At most `cap` candidates, spread over the regions: round by round, each region that still has candidates gives its
 * best remaining one (the regions with the best remaining tiles first), so the map covers the field and the combined
 * estimate is not the estimate of one corner. Returns tile indices in ascending order.
 */
export function selectPatches(candidates: ReadonlyArray<Candidate>, cap: number): number[] {
  if (cap >= candidates.length) return candidates.map((c) => c.index).sort((a, b) => a - b);
  const queues = new Map<number, Candidate[]>();
  for (const c of candidates) {
    const q = queues.get(c.region) ?? [];
    q.push(c);
    queues.set(c.region, q);
  }
  for (const q of queues.values()) q.sort((a, b) => b.score - a.score || a.index - b.index);
  const chosen: number[] = [];
  while (chosen.length < cap) {
    const heads = [...queues.values()].filter((q) => q.length > 0).sort((a, b) => b[0].score - a[0].score);
    if (heads.length === 0) break;
    for (const q of heads) {
      if (chosen.length >= cap) break;
      chosen.push(q.shift()!.index);
    }
  }
  return chosen.sort((a, b) => a - b);
}

/** Fewest usable tiles for an estimate: 3, or 1 on frames so small they hold fewer than 10 tiles in all. */
export function minPatchesFor(total: number): number {
  return Math.min(3, Math.max(1, Math.ceil(total * 0.1)));
}
