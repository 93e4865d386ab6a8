/**
 * Long operations from the command line: start a task through the API, show its progress with an ETA on stderr
 * (a bar on a terminal, a line every few seconds otherwise, so logs stay readable), cancel it cleanly on Ctrl-C,
 * and hand back its result.
 */
import cliProgress from 'cli-progress';
import type { Method } from '../../shared/api';
import type { TaskInfo } from '../../shared/schemas/task';
import { CliError, type CliRun } from './context';

function eta(s: number | null): string {
  if (s === null) return '--';
  if (s < 90) return `${Math.ceil(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export async function runTask(
  { api, services }: CliRun,
  method: Method,
  input: unknown,
  options: { quiet?: boolean } = {},
): Promise<TaskInfo> {
  const call = api.invoke as (m: string, i: unknown) => Promise<unknown>;
  const { taskId } = (await call(method, input)) as { taskId: string };
  const tty = Boolean(process.stderr.isTTY) && !options.quiet;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: ' {bar} {value}/{total} | ETA {etaText} | {message}', hideCursor: true, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  let lastLine = 0;
  const unsubscribe = services.bus.subscribe((e) => {
    if (e.event !== 'task.progress' || e.data.id !== taskId) return;
    const t = e.data;
    const payload = { etaText: eta(t.etaS), message: t.message.slice(0, 60) };
    if (bar) {
      if (!started) bar.start(Math.max(t.total, 1), t.done, payload);
      started = true;
      bar.setTotal(Math.max(t.total, 1));
      bar.update(t.done, payload);
    } else if (!options.quiet && Date.now() - lastLine > 5000) {
      lastLine = Date.now();
      process.stderr.write(`${t.title}: ${t.done}/${t.total}, ETA ${payload.etaText} ${payload.message}\n`);
    }
  });
  const onSigint = () => {
    process.stderr.write('\nCancelling…\n');
    services.tasks.cancel(taskId);
  };
  process.once('SIGINT', onSigint);
  try {
    const end = await services.tasks.wait(taskId);
    if (end.state === 'failed') throw new CliError(end.error?.message ?? `${end.title} failed`);
    if (end.state === 'cancelled') throw new CliError(`${end.title} was cancelled`, 130);
    return end;
  } finally {
    process.off('SIGINT', onSigint);
    unsubscribe();
    bar?.stop();
  }
}
