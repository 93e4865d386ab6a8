/**
 * The app side of an acquisition: from the wizard's request to the engine's parameters, the plan summary with an
 * estimated duration, the checks that must pass before anything is created, and the bridge from the task manager's
 * pause/resume to the engine.
 */
import type { Camera, XYStage, ZStage } from '../../hardware/types';
import type { AcquisitionParamsInput } from '../../shared/dataset';
import { AppError } from '../../shared/errors';
import type { z } from 'zod';
import type { AcquisitionPlan, AcquisitionRequest } from '../../shared/procedures/acquisition';
import type { TaskContext, TaskManager } from '../tasks/task-manager';
import { AcquisitionControl } from './control';
import { planPlanes, planPositions } from './plan';

export type ParsedRequest = z.output<typeof AcquisitionRequest>;

/** Seconds per stored plane measured on the last acquisition (snap + store); a guess until then. */
let measuredSecondsPerPlane = 0.25;

export function recordPlaneTime(seconds: number, planes: number): void {
  if (planes >= 3 && seconds > 0) measuredSecondsPerPlane = seconds / planes;
}

export function planFor(
  r: ParsedRequest,
  devices: { camera: Camera; z: ZStage; xy: XYStage },
  origin: { xUm: number; yUm: number },
): AcquisitionPlan {
  const zPlanesUm = planPlanes({ z0Um: r.z0Um, range: r.range });
  const positions = planPositions({ grid: r.grid, positions: r.positions }, origin).map((p) => ({
    xUm: p.xUm,
    yUm: p.yUm,
  }));
  const waitS = (devices.z.settleMs() + r.settleMs + devices.camera.getExposureMs()) / 1000;
  const secondsPerPlane = waitS + measuredSecondsPerPlane;
  const perPosition = (devices.xy.settleMs() + devices.z.settleMs()) / 1000 + 0.5;
  return {
    planesPerStack: zPlanesUm.length,
    zPlanesUm,
    positions,
    totalPlanes: zPlanesUm.length * positions.length,
    estimatedS: positions.length * (zPlanesUm.length * secondsPerPlane + perPosition),
    secondsPerPlane,
  };
}

/** Everything that would make the run fail at once, checked before a slide, run or task is created. */
export function checkPlan(
  plan: AcquisitionPlan,
  r: ParsedRequest,
  devices: { z: ZStage; xy: XYStage; camera: Camera },
) {
  const z = devices.z.limits();
  const lo = plan.zPlanesUm[0] - r.overshootUm;
  const hi = plan.zPlanesUm[plan.zPlanesUm.length - 1];
  if (lo < z.minUm || hi > z.maxUm) {
    throw new AppError(
      'INVALID_INPUT',
      `The stacks need z from ${lo.toFixed(2)} to ${hi.toFixed(2)} um (overshoot included), outside the Z limits ${z.minUm}..${z.maxUm} um`,
    );
  }
  const xy = devices.xy.limits();
  for (const p of plan.positions) {
    if (p.xUm === null || p.yUm === null) continue;
    if (p.xUm < xy.x.minUm || p.xUm > xy.x.maxUm || p.yUm < xy.y.minUm || p.yUm > xy.y.maxUm) {
      throw new AppError(
        'INVALID_INPUT',
        `Position x ${p.xUm.toFixed(0)}, y ${p.yUm.toFixed(0)} um is outside the XY limits (x ${xy.x.minUm}..${xy.x.maxUm}, y ${xy.y.minUm}..${xy.y.maxUm} um)`,
      );
    }
  }
  if (!devices.camera.isOpen()) throw new AppError('CONFLICT', 'The camera is not open: connect the hardware first');
}

export function engineParams(
  r: ParsedRequest,
  ids: { slideId: number; setupId: string },
  origin: { xUm: number; yUm: number },
  source: 'acquired' | 'sim',
): AcquisitionParamsInput {
  return {
    slideId: ids.slideId,
    setupId: ids.setupId,
    z0Um: r.z0Um,
    range: r.range,
    // The grid starts where the stage is now; resolved once, so a resume never re-reads the XY stage.
    grid: r.grid ? { ...r.grid, originXUm: origin.xUm, originYUm: origin.yUm } : undefined,
    positions: r.positions,
    settleMs: r.settleMs,
    overshootUm: r.overshootUm,
    exposureMs: r.exposureMs,
    notes: r.notes,
    source,
  };
}

/** The engine's pause/resume driven by the task manager (TaskBar's Pause / Resume buttons, tasks.pause). */
export class TaskControl extends AcquisitionControl {
  constructor(
    private readonly tasks: TaskManager,
    private readonly taskId: () => string,
    private readonly ctx: TaskContext,
  ) {
    super();
  }

  override get paused(): boolean {
    return this.tasks.get(this.taskId()).state === 'paused';
  }

  override async waitWhilePaused(): Promise<void> {
    try {
      await this.ctx.checkpoint();
    } catch {
      // cancelled while paused: the engine sees the aborted signal next
    }
  }
}
