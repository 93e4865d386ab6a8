/**
 * A first frame with no contrast at all may be empty glass, or tissue so far out of focus that it washed out. Before a
 * classic search (two dozen planes), a few planes further out, each estimated: the first one that shows focusable
 * content hands the run back to the network, which then needs two or three more images.
 *
 * How far out tissue stays visible, measured with the content filter of the shipped models on the held-out slides
 * (three slides, three positions each, every 2 um): at 40x tissue was found at every plane within 10 um of focus but
 * one, and called blank at 12-14 um on one position; at 20x it was never blank within 14 um. So planes 5 um apart
 * cannot step over the range where the tissue shows.
 */
import type { Camera, Frame, ZStage } from '../../hardware/types';
import type { Estimate } from '../../shared/autofocus';
import { ClassicCancelled } from './classic';
import { clampToLimits, moveBacklashAware, sleep } from './move';

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
      if (z >= limits.minUm - 1e-9 && z <= limits.maxUm + 1e-9) planes.push(clampToLimits(z, limits));
    }
  }
  return planes;
}

export interface ProbeReading {
  frame: Frame;
  zUm: number;
  estimate: Estimate;
}

export interface ProbeOptions {
  camera: Camera;
  zStage: ZStage;
  estimate: (frame: Frame) => Promise<Estimate>;
  startUm: number;
  signal?: AbortSignal;
  /** Every probe plane: the stage moved there (from, to), then imaged and estimated. */
  onMove?: (fromUm: number, toUm: number) => void;
  onReading?: (reading: ProbeReading) => void;
}

/** The first probe plane with focusable content (the stage is left there), or null when none showed any. */
export async function probeForContent(o: ProbeOptions): Promise<ProbeReading | null> {
  for (const z of probePlanes(o.startUm, o.zStage.limits())) {
    if (o.signal?.aborted) throw new ClassicCancelled();
    const from = await o.zStage.position();
    const reached = await moveBacklashAware(o.zStage, z);
    o.onMove?.(from, reached);
    await sleep(o.zStage.settleMs(), o.signal);
    const frame = await o.camera.snap();
    const estimate = await o.estimate(frame);
    const reading = { frame, zUm: reached, estimate };
    o.onReading?.(reading);
    if (estimate.status === 'ok' && estimate.defocusUm !== null) return reading;
  }
  return null;
}
