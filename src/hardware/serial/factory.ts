/**
 * createSerialStage: a ZStage (soft limits, um mapping, direction) over one of the six serial drivers.
 * createSerialXYStage puts an XYStage on the same driver (one port, one connection).
 */
import { HardwareError, type AxisLimits } from '../types';
import { LimitedXYStage } from '../stage/limited-xy-stage';
import { LimitedZStage } from '../stage/limited-z-stage';
import type { NativeXYAxes, NativeZAxis } from '../stage/native';
import { PROTOCOL_NAMES, type ProtocolName } from './protocol';
import { AsiDriver } from './drivers/asi';
import type { LinkOpener } from './drivers/base';
import { GrblDriver } from './drivers/grbl';
import { LudlDriver } from './drivers/ludl';
import { PriorDriver } from './drivers/prior';
import { SangaboardDriver } from './drivers/sangaboard';
import { TangoDriver } from './drivers/tango';

export type SerialDriverName = ProtocolName;
export type SerialStageDriver = NativeZAxis & NativeXYAxes & { identityText(): string };

/**
 * Native units per um when the profile gives none. GRBL: mm; ASI: tenths of um; Tango: um
 * (set with !dim); step-based controllers: a typical value that the um-per-step calibration
 * should replace. Prior: undefined, the controller reports it (RES,Z).
 */
export const DEFAULT_NATIVE_PER_UM: Record<SerialDriverName, number | undefined> = {
  grbl: 0.001,
  sangaboard: 20,
  prior: undefined,
  asi: 10,
  tango: 1,
  ludl: 10,
};

/** Z soft limits when the profile gives none (um, in controller coordinates). */
export const DEFAULT_Z_LIMITS: AxisLimits = { minUm: -1000, maxUm: 1000 };

export interface SerialStageConfig {
  driver: SerialDriverName;
  port: string;
  baud?: number;
  /** Native units per um (steps per um for step-based controllers). */
  stepsPerUm?: number;
  zDirection?: 1 | -1;
  limits?: AxisLimits;
  settleMs?: number;
  backlashUm?: number;
  timeoutMs?: number;
  moveTimeoutMs?: number;
  pollMs?: number;
  /** GRBL jog feed rate (mm/min). */
  feedMmPerMin?: number;
  /** Longest wait for the controller's answer to the resync line end at connect (ms). */
  lineClearMs?: number;
  /** Replaces the serial port (in-memory tests). */
  openLink?: LinkOpener;
}

export function isSerialDriverName(name: string): name is SerialDriverName {
  return (PROTOCOL_NAMES as readonly string[]).includes(name);
}

export function createSerialDriver(config: SerialStageConfig): SerialStageDriver {
  const common = {
    port: config.port,
    baud: config.baud,
    timeoutMs: config.timeoutMs,
    moveTimeoutMs: config.moveTimeoutMs,
    pollMs: config.pollMs,
    lineClearMs: config.lineClearMs,
    openLink: config.openLink,
  };
  switch (config.driver) {
    case 'grbl':
      return new GrblDriver({ ...common, feedMmPerMin: config.feedMmPerMin });
    case 'sangaboard':
      return new SangaboardDriver(common);
    case 'prior':
      return new PriorDriver(common);
    case 'asi':
      return new AsiDriver(common);
    case 'tango':
      return new TangoDriver(common);
    case 'ludl':
      return new LudlDriver(common);
    default:
      throw new HardwareError(
        'config',
        `Unknown stage driver "${String(config.driver)}"; choose one of ${PROTOCOL_NAMES.join(', ')}`,
      );
  }
}

/** A Z stage on a serial controller. Connect it before use; its `axis` is the underlying driver. */
export function createSerialStage(config: SerialStageConfig, driver?: SerialStageDriver): LimitedZStage {
  if (!config.port) throw new HardwareError('config', 'A serial stage needs a port (e.g. /dev/ttyUSB0 or COM3)');
  const axis = driver ?? createSerialDriver(config);
  return new LimitedZStage(axis, {
    limits: config.limits ?? DEFAULT_Z_LIMITS,
    nativePerUm: config.stepsPerUm ?? DEFAULT_NATIVE_PER_UM[config.driver],
    direction: config.zDirection ?? 1,
    settleMs: config.settleMs,
    backlashUm: config.backlashUm,
  });
}

export interface SerialXYConfig {
  limits: { x: AxisLimits; y: AxisLimits };
  stepsPerUm?: { x: number; y: number };
  direction?: { x: 1 | -1; y: 1 | -1 };
  settleMs?: number;
}

/** An XY stage on the same controller (and connection) as a Z stage's driver. */
export function createSerialXYStage(
  driverName: SerialDriverName,
  driver: SerialStageDriver,
  config: SerialXYConfig,
): LimitedXYStage {
  const fallback = DEFAULT_NATIVE_PER_UM[driverName];
  const stepsPerUm = config.stepsPerUm ?? (fallback ? { x: fallback, y: fallback } : undefined);
  if (!stepsPerUm) {
    throw new HardwareError('config', `The ${driverName} XY stage needs steps per um for X and Y in its profile`);
  }
  return new LimitedXYStage(driver, {
    limits: config.limits,
    nativePerUm: stepsPerUm,
    direction: config.direction,
    settleMs: config.settleMs,
  });
}
