/**
 * A first frame with no contrast at all may be empty glass, or tissue so far out of focus that it washed out. Before a
 * classic search (two dozen planes), a few planes further out, each estimated (loop.ts probeAround): the first one
 * that shows focusable content hands the run back to the network, which then needs two or three more images.
 *
 * How far out tissue stays visible, measured with the content filter of the shipped models on the held-out slides
 * (three slides, three positions each, every 2 um): at 40x tissue was found at every plane within 10 um of focus but
 * one, and called blank at 12-14 um on one position; at 20x it was never blank within 14 um. So planes 5 um apart
 * cannot step over the range where the tissue shows.
 */
import { clampToLimits, withinLimits } from './move';

/** Between probe planes (um): half the distance at which the content filter still finds tissue at 40x. */
export const PROBE_STEP_UM = 5;
/** Probe planes go this far from the start, either way (um). */
export const PROBE_REACH_UM = 15;

/** Probe planes around the start, nearest first, alternating up and down; only those inside the soft limits. */
export function probePlanes(
  startUm: number,
  limits: { minUm: number; maxUm: number },
  stepUm = PROBE_STEP_UM,
  reachUm = PROBE_REACH_UM,
): number[] {
  const planes: number[] = [];
  for (let k = 1; k * stepUm <= reachUm + 1e-9; k++) {
    for (const z of [startUm + k * stepUm, startUm - k * stepUm]) {
      if (withinLimits(z, limits)) planes.push(clampToLimits(z, limits));
    }
  }
  return planes;
}
