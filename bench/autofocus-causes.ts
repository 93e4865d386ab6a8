/**
 * Where a network run's images went, against the fewest a model that reads right would need: one image when the
 * first reading is within LOCAL_REFINE_MAX_UM (then one plane finishes: 2), else one move first (3). The rest is
 * put down to
 * - a wrong first side: the first reading named the wrong side of focus (|true d| >= 1 um), so the loop spent net
 *   moves going the wrong way and back;
 * - other net moves: more network moves than the least (an under- or over-read that left more than
 *   LOCAL_REFINE_MAX_UM, a reading the verify step caught);
 * - finishing planes: planes after the last network reading beyond the one a settled pair needs (a pair that did
 *   not settle, edge extensions, a fallback search, probes after a blank first frame).
 * This says which part to work on (the model's side, its scale, or the finish); it changes nothing in the loop.
 */
import { LOCAL_REFINE_MAX_UM, type RunTrace } from '../src/main/autofocus/loop';

export interface ImageCauses {
  least: number;
  images: number;
  wrongFirstSide: boolean;
  /** Extra images from net moves beyond the least, and which of them followed a wrong first side. */
  extraNetMoves: number;
  /** Images after the last network move beyond the one plane a settled pair takes. */
  extraFinishingPlanes: number;
}

/** `focusZUm`: the simulator's true focus, to tell whether the first reading named the right side. */
export function imageCauses(trace: RunTrace, focusZUm: number): ImageCauses | null {
  const first = trace.estimates[0];
  if (!first || trace.method !== 'net') return null;
  const reading = first.estimate.defocusUm;
  const trueDefocus = first.zUm - focusZUm;
  const leastMoves = reading !== null && Math.abs(reading) <= LOCAL_REFINE_MAX_UM ? 0 : 1;
  const least = leastMoves + 2;
  const netMoves = trace.moves.filter((m) => m.by === 'net').length;
  const wrongFirstSide =
    reading !== null && Math.abs(trueDefocus) >= 1 && Math.sign(reading) !== Math.sign(trueDefocus);
  // Signed, so that least + the extras is the run's images: a run that fell back before its move counts -1 here and
  // its search's planes as finishing planes.
  const extraNetMoves = netMoves - leastMoves;
  // Every net move is followed by a reading; what remains after those and the first image finished the run.
  const finishing = trace.images - 1 - netMoves;
  return {
    least,
    images: trace.images,
    wrongFirstSide,
    extraNetMoves,
    extraFinishingPlanes: finishing - 1,
  };
}

export interface CauseSummary {
  runs: number;
  leastPerFocus: number;
  imagesPerFocus: number;
  /** Per focus: extra net moves in runs whose first side was wrong, in the others, and extra finishing planes. */
  afterWrongFirstSide: number;
  otherNetMoves: number;
  finishingPlanes: number;
  wrongFirstSideRuns: number;
}

export function summariseCauses(causes: ImageCauses[]): CauseSummary {
  const n = causes.length || NaN;
  const sum = (f: (c: ImageCauses) => number) => causes.reduce((a, c) => a + f(c), 0) / n;
  return {
    runs: causes.length,
    leastPerFocus: sum((c) => c.least),
    imagesPerFocus: sum((c) => c.images),
    afterWrongFirstSide: sum((c) => (c.wrongFirstSide ? c.extraNetMoves : 0)),
    otherNetMoves: sum((c) => (c.wrongFirstSide ? 0 : c.extraNetMoves)),
    finishingPlanes: sum((c) => c.extraFinishingPlanes),
    wrongFirstSideRuns: causes.filter((c) => c.wrongFirstSide).length,
  };
}
