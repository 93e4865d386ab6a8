/** CLI entry point (run from bin/focus-station.js, from sources with tsx or bundled in out/main/cli.js). */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { appRoot } from '../paths';
import { buildProgram } from './program';
import { CliError, describeError } from './context';

const require = createRequire(import.meta.url);

// A reader that closed the pipe (`| head`, a pager that quit) wants no more output: end quietly, as Unix tools
// do on SIGPIPE, instead of an unhandled EPIPE trace. Datasets are written in transactions, so nothing is half-written.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

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
