/**
 * Autofocus moves: the estimate asks for -d; the move is clamped to the configured maximum and to the stage's soft
 * limits, and made backlash-aware (the last motion always upward, so the gear slack is taken up the same way as in
 * the acquisition's stacks). Nothing here ever asks the stage for a position outside its limits.
 */
import { approach } from '../../hardware/stage/approach';
import type { AxisLimits, ZStage } from '../../hardware/types';

/** How far below the target a downward move first goes before coming back up (um). */
export const APPROACH_OVERSHOOT_UM = 5;

export interface PlannedMove {
  fromUm: number;
  targetUm: number;
  /** -d: what the estimate asked for. */
  requestedUm: number;
  clamped: boolean;
}

/** The move for an estimated defocus, or null when there is nothing to do (non-finite input, or already there). */
export function planMove(
  currentUm: number,
  defocusUm: number,
  maxMoveUm: number,
  limits: AxisLimits,
): PlannedMove | null {
  if (!Number.isFinite(currentUm) || !Number.isFinite(defocusUm)) return null;
  const requestedUm = -defocusUm;
  const max = Number.isFinite(maxMoveUm) && maxMoveUm > 0 ? maxMoveUm : 0;
  const step = Math.max(-max, Math.min(max, requestedUm));
  const targetUm = clampToLimits(currentUm + step, limits);
  if (targetUm === currentUm) return null;
  return { fromUm: currentUm, targetUm, requestedUm, clamped: Math.abs(targetUm - (currentUm + requestedUm)) > 1e-9 };
}

/** Is z inside the soft limits (to rounding)? Planes outside them are skipped, never clamped onto the limit twice. */
export function withinLimits(zUm: number, limits: AxisLimits): boolean {
  return zUm >= limits.minUm - 1e-9 && zUm <= limits.maxUm + 1e-9;
}

export function clampToLimits(zUm: number, limits: AxisLimits): number {
  return Math.min(limits.maxUm, Math.max(limits.minUm, zUm));
}

/** Moves to targetUm (within the limits) with the final motion upward; returns the position reached. */
export async function moveBacklashAware(
  stage: ZStage,
  targetUm: number,
  overshootUm = APPROACH_OVERSHOOT_UM,
): Promise<number> {
  const target = clampToLimits(targetUm, stage.limits());
  return approach(stage, target, { fromBelow: true, overshootUm });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!(ms > 0) || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
