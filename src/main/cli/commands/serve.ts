import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startBrowserServer } from '../../server/server';
import { createServices } from '../../services/container';
import { rendererDir } from '../../paths';
import { CliError, printJson } from '../context';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('browser mode: serve the UI and the API over HTTP + WebSocket with a per-run access token')
    .option('--port <n>', 'TCP port (0 = any free port)', '4917')
    .option('--host <address>', 'address to bind; 127.0.0.1 unless you opt in to a LAN address', '127.0.0.1')
    .option('--json', 'print {"url", "token", "host", "port"} as JSON instead of a sentence')
    .action(async (opts: { port: string; host: string; json?: boolean }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new CliError(`--port must be 0..65535, not ${opts.port}`, 2);
      const staticDir = rendererDir();
      const hasUi = existsSync(join(staticDir, 'index.html'));
      const services = await createServices({ frontDoor: 'browser' });
      const server = await startBrowserServer({
        dispatch: services.dispatch,
        bus: services.bus,
        staticDir: hasUi ? staticDir : null,
        host: opts.host,
        port,
      }).catch(async (err: NodeJS.ErrnoException) => {
        await services.close();
        throw new CliError(
          err.code === 'EADDRINUSE' ? `port ${port} is in use: pick another with --port, or --port 0` : err.message,
        );
      });
      if (opts.json) printJson({ url: server.openUrl, token: server.token, host: server.host, port: server.port });
      else {
        process.stdout.write(`FocusStation browser mode: open ${server.openUrl}\n`);
        process.stdout.write(`API: ${server.url}api/<method> with "Authorization: Bearer ${server.token}"\n`);
        if (!hasUi) process.stdout.write('The UI is not built (run `npm run build`); only the API is served.\n');
        if (opts.host !== '127.0.0.1' && opts.host !== 'localhost') {
          process.stdout.write(
            `Listening on ${opts.host}: anyone on that network with the token can drive the stage.\n`,
          );
        }
      }
      const shutdown = async () => {
        await server.close();
        await services.close();
        process.exit(0);
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
