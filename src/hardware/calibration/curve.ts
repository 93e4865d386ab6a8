/** Sharpness curves: the peak (parabola through the top points) and its width at half maximum. */

export interface CurvePoint {
  zUm: number;
  sharpness: number;
}

export interface CurvePeak {
  /** Refined peak position (um). */
  zUm: number;
  sharpness: number;
  /** The maximum is at the first or last plane: the true peak may lie outside the sweep. */
  atEdge: boolean;
  /** Full width at half maximum above the curve's minimum (um); null when the curve never falls to half. */
  fwhmUm: number | null;
}

export function findPeak(points: CurvePoint[]): CurvePeak {
  if (points.length < 3) throw new Error('a sharpness curve needs at least 3 planes');
  const pts = [...points].sort((a, b) => a.zUm - b.zUm);
  let best = 0;
  for (let i = 1; i < pts.length; i++) if (pts[i].sharpness > pts[best].sharpness) best = i;
  const atEdge = best === 0 || best === pts.length - 1;
  let zPeak = pts[best].zUm;
  if (!atEdge) {
    // Vertex of the parabola through the maximum and its neighbours.
    const [a, b, c] = [pts[best - 1], pts[best], pts[best + 1]];
    const denom = (a.zUm - b.zUm) * (a.zUm - c.zUm) * (b.zUm - c.zUm);
    const A =
      (c.zUm * (b.sharpness - a.sharpness) +
        b.zUm * (a.sharpness - c.sharpness) +
        a.zUm * (c.sharpness - b.sharpness)) /
      denom;
    const B =
      (c.zUm * c.zUm * (a.sharpness - b.sharpness) +
        b.zUm * b.zUm * (c.sharpness - a.sharpness) +
        a.zUm * a.zUm * (b.sharpness - c.sharpness)) /
      denom;
    if (A < 0) zPeak = Math.min(c.zUm, Math.max(a.zUm, -B / (2 * A)));
  }
  return { zUm: zPeak, sharpness: pts[best].sharpness, atEdge, fwhmUm: halfMaxWidth(pts, best) };
}

function halfMaxWidth(pts: CurvePoint[], best: number): number | null {
  const floor = Math.min(...pts.map((p) => p.sharpness));
  const half = floor + (pts[best].sharpness - floor) / 2;
  const cross = (i: number, j: number) =>
    pts[i].zUm + ((half - pts[i].sharpness) * (pts[j].zUm - pts[i].zUm)) / (pts[j].sharpness - pts[i].sharpness);
  let left: number | null = null;
  for (let i = best; i > 0; i--) {
    if (pts[i - 1].sharpness <= half) {
      left = cross(i - 1, i);
      break;
    }
  }
  let right: number | null = null;
  for (let i = best; i < pts.length - 1; i++) {
    if (pts[i + 1].sharpness <= half) {
      right = cross(i, i + 1);
      break;
    }
  }
  return left !== null && right !== null ? right - left : null;
}

/** Planes from `from` to `to` (either order) every `step` um, both ends included. */
export function planes(from: number, to: number, step: number): number[] {
  const n = Math.round(Math.abs(to - from) / step);
  const dir = to >= from ? 1 : -1;
  return Array.from({ length: n + 1 }, (_, i) => from + dir * i * step);
}
