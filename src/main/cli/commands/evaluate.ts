import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { EvaluationResult } from '../../evaluation';
import { printJson, withApi } from '../context';
import { runTask } from '../task-progress';

function fmt(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined ? '—' : v.toFixed(digits);
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description(
      "run deployed ONNX models on an export's test split and report focusing error, sign errors, speed and how well each stack's planes are ordered (order±5um: median per-stack Spearman of predicted against true defocus within -5..+5 um)",
    )
    .requiredOption('--model <id|path...>', 'model ids or paths (.onnx or card .json); repeat or list several')
    .requiredOption('--data <dir>', 'an export folder (manifest.csv, dataset.json, images/)')
    .option('--report <dir>', 'write report.md, results.json, predictions.csv and PNG plots here')
    .option('--split <split>', 'test | train | all', 'test')
    .option('--json', 'print the results as JSON')
    .action(async (opts: { model: string[]; data: string; report?: string; split: string; json?: boolean }) => {
      const task = await withApi((run) =>
        runTask(run, 'models.evaluate', {
          models: opts.model,
          dataDir: resolve(opts.data),
          reportDir: opts.report ? resolve(opts.report) : undefined,
          split: opts.split,
        }),
      );
      const result = task.result as EvaluationResult;
      if (opts.json) return printJson(result);
      const rows = result.models.map((m) =>
        [
          m.model.padEnd(16),
          String(m.n_patches).padStart(7),
          `${fmt(m.error_mean_um)} ± ${fmt(m.error_std_um)}`.padStart(15),
          fmt(m.rmse_um).padStart(7),
          fmt(m.error_by_range['-5..5']).padStart(7),
          m.sign_error_rate === null ? '—'.padStart(7) : `${(100 * m.sign_error_rate).toFixed(2)}%`.padStart(7),
          `${(m.size_bytes / 1024).toFixed(0)} KB`.padStart(9),
          fmt(m.ms_per_patch, 2).padStart(8),
          fmt(m.stack_ordering.spearman_central_median, 2).padStart(9),
        ].join('  '),
      );
      process.stdout.write(
        [
          `${'model'.padEnd(16)}  patches  error mean±std um     RMSE  -5..5um  sign err      size  ms/patch  order±5um`,
          ...rows,
          result.report ? `report: ${opts.report}` : '',
        ].join('\n') + '\n',
      );
    });
}
