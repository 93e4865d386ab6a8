/**
 * `focus-station emulate <protocol>`: a fake controller speaking the real protocol, for demos and scripts. With
 * --port it serves an existing serial path (one end of a pair you made); without, it makes a socat pseudo-terminal
 * pair and prints the path to connect to. Runs until Ctrl-C.
 */
import { Argument, Option, type Command } from 'commander';
import { runEmulator, startEmulatorOnPty, type ControllerEmulator } from '../../../hardware/emulators';
import { PROTOCOL_NAMES, type ProtocolName } from '../../../hardware/serial/protocol';
import { CliError, printJson } from '../context';

interface EmulateOptions {
  port?: string;
  speed: number;
  startZ: number;
  nativePerUm?: number;
  verbose?: boolean;
  json?: boolean;
}

function positive(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new CliError(`${name} must be a positive number, not "${v}"`, 2);
    return n;
  };
}

function finite(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new CliError(`${name} must be a number, not "${v}"`, 2);
    return n;
  };
}

/** Prints every command line the controller receives (stderr), as it arrives. */
function logCommands(emulator: ControllerEmulator): () => void {
  let seen = 0;
  const timer = setInterval(() => {
    while (seen < emulator.received.length) {
      const line = emulator.received[seen++];
      process.stderr.write(`${new Date().toISOString()} < ${line}   (z = ${emulator.positionUm('z').toFixed(3)} um)\n`);
    }
  }, 25);
  return () => clearInterval(timer);
}

function waitForExit(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export function registerEmulate(program: Command): void {
  program
    .command('emulate')
    .description('run a fake stage controller speaking the real protocol on a serial path, until Ctrl-C')
    .addArgument(
      new Argument('<protocol>', 'grbl | sangaboard | prior | asi | tango | ludl').choices([...PROTOCOL_NAMES]),
    )
    .option(
      '--port <path>',
      'serve this serial path; without it a socat pseudo-terminal pair is made and the path to connect to is printed',
    )
    .option('--speed <um/s>', 'motion speed', positive('--speed'), 1000)
    .option('--start-z <um>', 'initial Z position', finite('--start-z'), 0)
    .addOption(
      new Option('--native-per-um <k>', 'controller units per um (default per protocol)').argParser(
        positive('--native-per-um'),
      ),
    )
    .option('--verbose', 'log every command received (stderr)')
    .option('--json', 'print {"protocol", "port"} as JSON once ready')
    .addHelpText(
      'after',
      '\nExample (two terminals):\n  focus-station emulate grbl\n  focus-station stage --driver grbl --port <printed path> move-by 5 --json',
    )
    .action(async (protocol: ProtocolName, opts: EmulateOptions) => {
      const options = {
        speedUmPerS: opts.speed,
        initialUm: { z: opts.startZ },
        ...(opts.nativePerUm ? { nativePerUm: opts.nativePerUm } : {}),
      };
      let emulator: ControllerEmulator;
      let connectTo: string;
      let cleanup: () => Promise<void>;
      if (opts.port) {
        emulator = await runEmulator(protocol, { ...options, port: opts.port });
        connectTo = opts.port;
        cleanup = () => emulator.close();
      } else {
        const pty = await startEmulatorOnPty(protocol, options);
        emulator = pty.emulator;
        connectTo = pty.hostPath;
        cleanup = () => pty.cleanup();
      }
      const stopLogging = opts.verbose ? logCommands(emulator) : () => undefined;
      if (opts.json) printJson({ protocol, port: connectTo, nativePerUm: emulator.nativePerUm });
      else {
        process.stdout.write(
          opts.port
            ? `Emulating a ${protocol} controller on ${connectTo} (Ctrl-C to stop)\n`
            : `Emulating a ${protocol} controller: connect to ${connectTo} (Ctrl-C to stop)\n`,
        );
      }
      await waitForExit();
      stopLogging();
      await cleanup();
      process.stderr.write('emulator stopped\n');
    });
}
