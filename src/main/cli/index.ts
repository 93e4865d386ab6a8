/** CLI entry point (run from bin/focus-station.js, from sources with tsx or bundled in out/main/cli.js). */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { appRoot } from '../paths';
import { buildProgram } from './program';
import { CliError, describeError } from './context';

const require = createRequire(import.meta.url);

async function main(argv: string[]): Promise<void> {
  const { version } = require(join(appRoot(), 'package.json')) as { version: string };
  const program = buildProgram(version);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`focus-station: ${describeError(err)}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  }
}

await main(process.argv);
