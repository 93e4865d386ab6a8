/**
 * `focus-station stage`: one command to a serial stage controller, then the position it reports. Talks to the
 * controller directly (no app services), so it works on a machine where the app is not running.
 */
import { Option, type Command } from 'commander';
import { runStageCommand, type StageCommandName } from '../../../hardware/serial/stage-command';
import { PROTOCOL_NAMES, type ProtocolName } from '../../../hardware/serial/protocol';
import type { AxisLimits } from '../../../hardware/types';
import { CliError, printJson } from '../context';

const ACTIONS: readonly StageCommandName[] = ['position', 'move-to', 'move-by', 'stop'];

export interface StageCliOptions {
  driver: ProtocolName;
  port: string;
  baud?: number;
  stepsPerUm?: number;
  zDirection?: '1' | '-1';
  min?: number;
  max?: number;
  json?: boolean;
}

function finite(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new CliError(`${name} must be a number, not "${v}"`, 2);
    return n;
  };
}

/** The soft limits from --min/--max: both or neither. */
export function limitsOf(opts: Pick<StageCliOptions, 'min' | 'max'>): AxisLimits | undefined {
  if (opts.min === undefined && opts.max === undefined) return undefined;
  if (opts.min === undefined || opts.max === undefined)
    throw new CliError('give both --min and --max (soft limits in um)', 2);
  if (!(opts.min < opts.max)) throw new CliError(`--min (${opts.min}) must be below --max (${opts.max})`, 2);
  return { minUm: opts.min, maxUm: opts.max };
}

/** Checks the action and its value: move-to and move-by need a number of um, position and stop take none. */
export function parseAction(
  action: string,
  value: string | undefined,
): { command: StageCommandName; valueUm?: number } {
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new CliError(`unknown action "${action}": use position, move-to <um>, move-by <um> or stop`, 2);
  }
  const command = action as StageCommandName;
  const needsValue = command === 'move-to' || command === 'move-by';
  if (!needsValue) {
    if (value !== undefined) throw new CliError(`"${command}" takes no value (got "${value}")`, 2);
    return { command };
  }
  if (value === undefined) throw new CliError(`"${command}" needs a distance in um, e.g. ${command} 5`, 2);
  return { command, valueUm: finite(command)(value) };
}

export function registerStage(program: Command): void {
  program
    .command('stage')
    .description('send one command to a serial Z stage controller and print the position (um) once it has finished')
    .addOption(new Option('--driver <name>', 'controller protocol').choices([...PROTOCOL_NAMES]).makeOptionMandatory())
    .requiredOption('--port <path>', 'serial port (/dev/ttyUSB0, COM3, a pseudo-terminal from `focus-station emulate`)')
    .option('--baud <n>', 'baud rate (default: the protocol default)', finite('--baud'))
    .option(
      '--steps-per-um <k>',
      'controller units per um (default: per driver; Prior reports its own)',
      finite('--steps-per-um'),
    )
    .addOption(
      new Option('--z-direction <sign>', "-1 when the controller's + runs towards the sample").choices(['1', '-1']),
    )
    .option('--min <um>', 'lower soft limit (um); no move goes below it', finite('--min'))
    .option('--max <um>', 'upper soft limit (um); no move goes above it', finite('--max'))
    .option('--json', 'print {"z_um": ...} instead of a sentence')
    .argument('<action>', 'position | move-to | move-by | stop')
    .argument('[um]', 'target (move-to) or distance (move-by) in um; negative values are fine (move-by -5)')
    .addHelpText(
      'after',
      '\nExamples:\n  focus-station stage --driver grbl --port /dev/ttyUSB0 move-by 5 --json\n  focus-station stage --driver asi --port COM3 --min -100 --max 100 move-to 12.5\n+z moves the objective away from the sample.',
    )
    .action(async (action: string, value: string | undefined, opts: StageCliOptions) => {
      const { command, valueUm } = parseAction(action, value);
      const { z_um } = await runStageCommand({
        driver: opts.driver,
        port: opts.port,
        baud: opts.baud,
        stepsPerUm: opts.stepsPerUm,
        zDirection: opts.zDirection === undefined ? undefined : (Number(opts.zDirection) as 1 | -1),
        limits: limitsOf(opts),
        command,
        valueUm,
      });
      if (opts.json) return printJson({ z_um });
      const done =
        command === 'position'
          ? 'is at'
          : command === 'stop'
            ? 'stopped at'
            : command === 'move-to'
              ? 'moved to'
              : 'moved by ' + valueUm + ' um to';
      process.stdout.write(`Z ${done} ${z_um.toFixed(3)} um (${opts.driver} on ${opts.port})\n`);
    });
}
