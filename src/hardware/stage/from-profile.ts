/** Serial Z (and XY) stages from a hardware profile. The simulated stage is built by the virtual microscope. */
import type { StageProfile, XYStageProfile } from '../../shared/hardware-profile';
import { HardwareError } from '../types';
import { createSerialDriver, createSerialStage, createSerialXYStage, type SerialStageConfig } from '../serial/factory';
import type { LinkOpener } from '../serial/drivers/base';
import type { LimitedXYStage } from './limited-xy-stage';
import type { LimitedZStage } from './limited-z-stage';

export interface ProfileStages {
  z: LimitedZStage;
  /** Null when the profile has no XY stage on the same controller. */
  xy: LimitedXYStage | null;
}

export function createStagesFromProfile(
  stage: StageProfile,
  xy?: XYStageProfile,
  openLink?: LinkOpener,
): ProfileStages {
  if (stage.driver === 'sim') {
    throw new HardwareError(
      'config',
      'The simulated stage comes with the virtual microscope, not from a serial profile',
    );
  }
  const config: SerialStageConfig = {
    driver: stage.driver,
    port: stage.port ?? '',
    baud: stage.baud,
    stepsPerUm: stage.stepsPerUm,
    zDirection: stage.zDirection,
    limits: stage.limits,
    settleMs: stage.settleMs,
    backlashUm: stage.backlashUm,
    timeoutMs: stage.timeoutMs,
    moveTimeoutMs: stage.moveTimeoutMs,
    feedMmPerMin: stage.feedMmPerMin,
    openLink,
  };
  // One driver, one port: Z and XY share the connection.
  const driver = createSerialDriver(config);
  const z = createSerialStage(config, driver);
  const xyStage =
    xy && xy.driver === 'same-controller'
      ? createSerialXYStage(stage.driver, driver, {
          limits: xy.limits,
          stepsPerUm: xy.stepsPerUm,
          direction: xy.direction,
          settleMs: xy.settleMs,
        })
      : null;
  return { z, xy: xyStage };
}
