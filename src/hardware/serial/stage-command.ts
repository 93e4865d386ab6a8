/**
 * The core of `focus-station stage --driver ... --port ... position|move-to <um>|move-by <um>|stop --json`:
 * connect, do one thing, report z in um, disconnect.
 */
import { HardwareError, type AxisLimits } from '../types';
import { createSerialStage, type SerialDriverName } from './factory';
import type { LinkOpener } from './drivers/base';

export type StageCommandName = 'position' | 'move-to' | 'move-by' | 'stop';

export interface StageCommandOptions {
  driver: SerialDriverName;
  port: string;
  baud?: number;
  stepsPerUm?: number;
  zDirection?: 1 | -1;
  limits?: AxisLimits;
  command: StageCommandName;
  valueUm?: number;
  openLink?: LinkOpener;
}

export async function runStageCommand(options: StageCommandOptions): Promise<{ z_um: number }> {
  const needsValue = options.command === 'move-to' || options.command === 'move-by';
  if (needsValue && (options.valueUm === undefined || !Number.isFinite(options.valueUm))) {
    throw new HardwareError(
      'config',
      `"${options.command}" needs a finite value in um, got ${String(options.valueUm)}`,
    );
  }
  if (!['position', 'move-to', 'move-by', 'stop'].includes(options.command)) {
    throw new HardwareError(
      'config',
      `Unknown stage command "${String(options.command)}"; use position, move-to, move-by or stop`,
    );
  }
  const stage = createSerialStage({
    driver: options.driver,
    port: options.port,
    baud: options.baud,
    stepsPerUm: options.stepsPerUm,
    zDirection: options.zDirection,
    limits: options.limits,
    openLink: options.openLink,
  });
  await stage.connect();
  try {
    let z: number;
    switch (options.command) {
      case 'move-to':
        z = await stage.moveTo(options.valueUm!);
        break;
      case 'move-by':
        z = await stage.moveBy(options.valueUm!);
        break;
      case 'stop':
        await stage.stop();
        z = await stage.position();
        break;
      default:
        z = await stage.position();
    }
    return { z_um: z };
  } finally {
    await stage.disconnect().catch(() => undefined);
  }
}
