/**
 * Backlash-aware approach: every plane is reached by a final move in the same direction, so the
 * gear slack is always taken up the same way and planes of a stack are evenly spaced.
 */
import { HardwareError, type ZStage } from '../types';

export interface ApproachOptions {
  /** true: the final move is upward (+z), false: downward. */
  fromBelow: boolean;
  /** How far past the target to go first when the final move would be in the wrong direction (um). */
  overshootUm: number;
}

interface DirectionAware {
  lastMoveDirection(): 'up' | 'down' | 'none';
}

function knowsDirection(stage: ZStage): stage is ZStage & DirectionAware {
  return typeof (stage as Partial<DirectionAware>).lastMoveDirection === 'function';
}

/** Moves to targetUm so that the last motion is in the chosen direction; returns the position reached. */
export async function approach(stage: ZStage, targetUm: number, options: ApproachOptions): Promise<number> {
  if (!Number.isFinite(options.overshootUm) || options.overshootUm < 0) {
    throw new HardwareError(
      'config',
      `approach overshoot must be a non-negative number of um, got ${options.overshootUm}`,
    );
  }
  const limits = stage.limits();
  const current = await stage.position();
  const sign = options.fromBelow ? 1 : -1;
  const wanted = options.fromBelow ? 'up' : 'down';
  // Already on the right side with the slack taken up the right way: the direct move is enough.
  const lastOk = knowsDirection(stage) ? stage.lastMoveDirection() === wanted : false;
  const travel = sign * (targetUm - current);
  const directIsEnough = (travel > 0 && (lastOk || travel >= options.overshootUm)) || (travel === 0 && lastOk);
  if (!directIsEnough && options.overshootUm > 0) {
    const staging = targetUm - sign * options.overshootUm;
    // Near a soft limit the staging point is clipped: the approach is then as long as the limits allow.
    const clipped = Math.min(limits.maxUm, Math.max(limits.minUm, staging));
    if (clipped !== current) await stage.moveTo(clipped);
  }
  return stage.moveTo(targetUm);
}
