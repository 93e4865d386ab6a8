/** Where an acquisition goes: lateral positions and the z planes of each stack (ascending). */
import type { AcquisitionParams } from '../../shared/dataset';

export interface PlannedPosition {
  index: number;
  xUm: number | null;
  yUm: number | null;
}

/** Planes z0 + from .. z0 + to at step, ascending; computed from the index so no rounding drift accumulates. */
export function planPlanes(p: Pick<AcquisitionParams, 'z0Um' | 'range'>): number[] {
  const { fromUm, toUm, stepUm } = p.range;
  const n = Math.floor((toUm - fromUm) / stepUm + 1e-9) + 1;
  return Array.from({ length: n }, (_, i) => p.z0Um + fromUm + i * stepUm);
}

/**
 * Lateral positions: the explicit list, or an n x m grid in a serpentine (boustrophedon) order so consecutive
 * positions are neighbours. Without an XY stage and without positions: one position with no coordinates.
 */
export function planPositions(
  p: Pick<AcquisitionParams, 'grid' | 'positions'>,
  origin: { xUm: number; yUm: number } | null,
): PlannedPosition[] {
  if (p.positions?.length) return p.positions.map((q, index) => ({ index, xUm: q.xUm, yUm: q.yUm }));
  const g = p.grid;
  if (!g || !origin) return [{ index: 0, xUm: origin?.xUm ?? null, yUm: origin?.yUm ?? null }];
  const x0 = g.originXUm ?? origin.xUm;
  const y0 = g.originYUm ?? origin.yUm;
  const out: PlannedPosition[] = [];
  for (let j = 0; j < g.ny; j++) {
    for (let k = 0; k < g.nx; k++) {
      const i = j % 2 === 0 ? k : g.nx - 1 - k;
      out.push({ index: out.length, xUm: x0 + i * g.stepUm, yUm: y0 + j * g.stepUm });
    }
  }
  return out;
}
