/**
 * The calibration wizard's backend: each step (src/hardware/calibration) runs as a task on the devices in use,
 * holding the stage and the camera, with progress and cancel; its result - with the explanation and the curves -
 * is kept per profile, and the values it measured can be saved into the profile (a built-in one is copied first).
 */
import {
  checkUmPerStep,
  checkZDirection,
  measureBacklash,
  measureDepthOfField,
  measureSettleTime,
  type CalibrationProgress,
} from '../../hardware/calibration';
import { DEFAULT_NATIVE_PER_UM } from '../../hardware/serial/factory';
import { AppError } from '../../shared/errors';
import { depthOfFieldUm } from '../../shared/optics';
import type {
  CalibrationResult,
  CalibrationRunInput,
  CalibrationStep,
  CalibrationValues,
} from '../../shared/procedures/calibration';
import type { ProfileEntry } from '../../shared/procedures/profiles';
import type { HardwareConnection } from '../../shared/schemas/hardware';
import type { TaskInfo } from '../../shared/schemas/task';
import type { TaskContext, TaskManager } from '../tasks/task-manager';
import type { CurrentProfile, HardwareManager } from './hardware-manager';
import type { HardwareService } from './hardware-service';
import type { Microscope } from './microscope';
import { referenceFocusWidth, umPerStepGrid, type SweepGrid } from './reference-width';

export interface CalibrationDeps {
  tasks: TaskManager;
  hardware: HardwareService;
  profiles: HardwareManager;
}

const TITLES: Record<CalibrationStep, string> = {
  direction: 'Calibration: Z direction',
  'um-per-step': 'Calibration: um per step',
  backlash: 'Calibration: backlash',
  settle: 'Calibration: settle time',
  'depth-of-field': 'Calibration: depth of field',
};

/** A result before it is stamped with its profile and time (Omit distributed over the union of steps). */
type Measured = CalibrationResult extends infer R
  ? R extends CalibrationResult
    ? Omit<R, 'profileId' | 'profileName' | 'finishedAt'>
    : never
  : never;

export class CalibrationService {
  private readonly results = new Map<CalibrationStep, CalibrationResult>();
  /** The profile the kept results belong to; they are dropped when another one is connected. */
  private resultsKey: string | null = null;

  constructor(private readonly d: CalibrationDeps) {}

  /** Starts one step as a task; refused while the hardware is not connected or another task drives the stage. */
  run(input: CalibrationRunInput): TaskInfo {
    const link = this.d.hardware.connection();
    if (link.state !== 'connected') {
      throw new AppError(
        'CONFLICT',
        'Connect a hardware profile before calibrating (the hardware is ' + link.state + ')',
      );
    }
    return this.d.tasks.start(
      { kind: `calibration.${input.step}`, title: TITLES[input.step], total: 100, uses: ['stage', 'camera'] },
      async (ctx) => {
        const measured = await this.measure(input, this.d.hardware.devices, ctx);
        const result = { ...measured, ...this.owner(), finishedAt: Date.now() } as CalibrationResult;
        this.keep(result);
        return result;
      },
    );
  }

  latest(): { profileId: string | null; results: CalibrationResult[] } {
    this.dropIfStale();
    return { profileId: this.d.profiles.currentProfile()?.id ?? null, results: [...this.results.values()] };
  }

  /**
   * Saves measured values into the profile in use. A built-in (or unsaved) profile is saved as a copy named
   * "<name> (calibrated)". With `reconnect`, the devices are reopened so the values take effect at once.
   */
  async apply(
    values: CalibrationValues & { reconnect: boolean },
  ): Promise<{ profile: ProfileEntry; copiedFrom: string | null; connection: HardwareConnection }> {
    const current = this.d.profiles.currentProfile();
    if (!current)
      throw new AppError('CONFLICT', 'The devices in use do not come from a hardware profile: connect one first');
    const stage = { ...current.profile.stage };
    if (values.backlashUm !== undefined) stage.backlashUm = values.backlashUm;
    if (values.settleMs !== undefined) stage.settleMs = Math.round(values.settleMs);
    if (values.zDirection !== undefined) stage.zDirection = values.zDirection;
    if (values.stepsPerUm !== undefined) stage.stepsPerUm = values.stepsPerUm;
    const copy = current.builtin || current.id === null;
    const name = copy ? calibratedName(current.profile.name) : current.profile.name;
    const profile = await this.d.profiles.save(
      { ...current.profile, name, stage },
      copy ? undefined : (current.id ?? undefined),
    );
    const connection = values.reconnect
      ? await this.d.profiles.connect({ id: profile.id })
      : this.d.hardware.connection();
    // The measurements describe the same devices: they stay with the saved (or copied) profile.
    if (this.resultsKey === current.profile.name) this.resultsKey = profile.profile.name;
    return { profile, copiedFrom: copy ? current.id : null, connection };
  }

  private async measure(input: CalibrationRunInput, m: Microscope, ctx: TaskContext): Promise<Measured> {
    const { zStage: stage, camera } = m;
    const onProgress = (p: CalibrationProgress) => ctx.progress(Math.round(p.fraction * 100), 100, p.message);
    const common = { onProgress, signal: ctx.signal };
    switch (input.step) {
      case 'direction': {
        const r = await checkZDirection(stage, camera, { ...common, ...input });
        const currentZDirection = this.d.profiles.currentProfile()?.profile.stage.zDirection ?? 1;
        return {
          step: 'direction',
          readbackDeltaUm: r.readbackDeltaUm,
          readbackOk: r.readbackOk,
          focusUm: r.focusUm,
          opticalVerdict: r.opticalVerdict,
          method: r.method,
          evenOddCorrelation: r.evenOddCorrelation,
          phaseSkew: r.phaseSkew,
          currentZDirection,
          instructions: r.instructions,
          explanation: r.explanation,
          suggested: r.opticalVerdict === 'reversed' ? { zDirection: currentZDirection === 1 ? -1 : 1 } : {},
        };
      }
      case 'um-per-step': {
        ctx.progress(0, 100, 'rendering the focus curve the optics predict');
        const grid = umPerStepGrid(m);
        const reference =
          input.expectedFwhmUm !== undefined
            ? { fwhmUm: input.expectedFwhmUm, from: 'the width you gave' }
            : await referenceFocusWidth(m, requireGrid(grid, m), ctx.signal);
        const configured = this.configuredStepsPerUm();
        const r = await checkUmPerStep(stage, camera, {
          ...common,
          expectedFwhmUm: reference.fwhmUm,
          configuredStepsPerUm: configured,
          tolerance: input.tolerance,
          ...(input.expectedFwhmUm === undefined && grid ? grid : {}),
        });
        return {
          step: 'um-per-step',
          measuredFwhmUm: r.measuredFwhmUm,
          expectedFwhmUm: r.expectedFwhmUm,
          expectedFrom: reference.from,
          ratio: r.ratio,
          verdict: r.verdict,
          configuredStepsPerUm: configured,
          curve: r.curve,
          explanation: r.explanation,
          suggested: r.verdict === 'suspect' ? { stepsPerUm: r.suggestedStepsPerUm } : {},
        };
      }
      case 'backlash': {
        const r = await measureBacklash(stage, camera, { ...common, rangeUm: input.rangeUm, stepUm: input.stepUm });
        return {
          step: 'backlash',
          backlashUm: r.backlashUm,
          peakUpUm: r.peakUpUm,
          peakDownUm: r.peakDownUm,
          recommendedOvershootUm: r.recommendedOvershootUm,
          upCurve: r.upCurve,
          downCurve: r.downCurve,
          explanation: r.explanation,
          suggested: { backlashUm: Math.max(0, Math.round(r.backlashUm * 100) / 100) },
        };
      }
      case 'settle': {
        const r = await measureSettleTime(stage, camera, { ...common, ...input });
        return {
          step: 'settle',
          settleMs: r.settleMs,
          perMoveMs: r.perMoveMs,
          noiseLevel: r.noiseLevel,
          frameIntervalMs: r.frameIntervalMs,
          explanation: r.explanation,
          suggested: { settleMs: Math.round(r.settleMs) },
        };
      }
      case 'depth-of-field': {
        const r = await measureDepthOfField(stage, camera, { ...common, rangeUm: input.rangeUm, stepUm: input.stepUm });
        const predicted = m.setup ? depthOfFieldUm(m.setup) : null;
        return {
          step: 'depth-of-field',
          dofUm: r.dofUm,
          focusUm: r.focusUm,
          predictedDofUm: predicted,
          curve: r.curve,
          explanation:
            r.explanation +
            (predicted !== null
              ? ` The classical depth of field of this objective and camera is ${predicted.toFixed(2)} um; the sharpness curve is wider because a focus measure still changes where the eye no longer sees blur.`
              : ''),
          suggested: {},
        };
      }
    }
  }

  /** Steps per um in use: the profile's, the driver's default, or 1 for the simulated stage (it moves in um). */
  private configuredStepsPerUm(): number {
    const stage = this.d.profiles.currentProfile()?.profile.stage;
    if (!stage || stage.driver === 'sim') return 1;
    return stage.stepsPerUm ?? DEFAULT_NATIVE_PER_UM[stage.driver] ?? 1;
  }

  private owner(): { profileId: string | null; profileName: string | null } {
    const current: CurrentProfile | null = this.d.profiles.currentProfile();
    return {
      profileId: current?.id ?? null,
      profileName: current?.profile.name ?? this.d.hardware.devices.profileName,
    };
  }

  private keep(result: CalibrationResult): void {
    this.dropIfStale();
    this.results.set(result.step, result);
  }

  private dropIfStale(): void {
    const key = this.d.profiles.currentProfile()?.profile.name ?? null;
    if (key !== this.resultsKey) {
      this.results.clear();
      this.resultsKey = key;
    }
  }
}

function requireGrid(grid: SweepGrid | null, m: Microscope): SweepGrid {
  if (grid) return grid;
  throw new AppError(
    'CONFLICT',
    `No optics model for the optical setup "${m.setupId}": give the expected focus-curve width (expectedFwhmUm)`,
  );
}

function calibratedName(name: string): string {
  return /\(calibrated\)$/.test(name) ? name : `${name} (calibrated)`;
}
