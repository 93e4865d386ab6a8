import type { Command } from 'commander';
import { METHODS, procedures } from '../../../shared/api';
import { CliError, printJson, withApi } from '../context';

/** `call <method> [json]`: any procedure of the contract, for scripts; the contract is the only list of methods. */
export function registerCall(program: Command): void {
  program
    .command('call')
    .description('call any API method with a JSON payload and print the JSON result')
    .argument('<method>', 'an API method (see `focus-station methods`)')
    .argument('[payload]', 'JSON payload', '{}')
    .action(async (method: string, payload: string) => {
      let input: unknown;
      try {
        input = JSON.parse(payload);
      } catch {
        throw new CliError(`payload is not valid JSON: ${payload}`, 2);
      }
      const response = await withApi(({ services }) => services.dispatch(method, input));
      if (!response.ok) throw new CliError(`${response.error.message} [${response.error.code}]`);
      printJson(response.result);
    });

  program
    .command('methods')
    .description('list the API methods (the same contract as IPC, HTTP and WebSocket)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const list = METHODS.map((m) => ({ method: m, summary: procedures[m].summary }));
      if (opts.json) return printJson(list);
      const width = Math.max(...METHODS.map((m) => m.length));
      process.stdout.write(list.map((l) => `${l.method.padEnd(width)}  ${l.summary}`).join('\n') + '\n');
    });
}
