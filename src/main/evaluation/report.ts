/**
 * The evaluation report: report.md (a table like the paper's Table 1, a per-range table, the plots), results.json
 * (the evaluate --json object), predictions.csv (one row per patch) and plots/*.png.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvaluationResult, ModelEvaluation, ModelSamples } from './evaluate';
import { DEFOCUS_RANGES } from './metrics';
import { SERIES_COLOURS, histogramSvg, scatterSvg, writePng } from './plots';

export interface ReportFiles {
  dir: string;
  markdown: string;
  json: string;
  predictions: string;
  plots: string[];
}

const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits);
const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`);

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(2)} h`;
}

function formatLoss(v: number | null): string {
  return v === null ? 'n/a' : v.toExponential(2);
}

/** A file-name-safe version of a model id. */
function slug(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function markdownReport(result: EvaluationResult, plots: string[] = []): string {
  const lines: string[] = [];
  const models = result.models;
  lines.push('# Defocus prediction: evaluation', '');
  lines.push(
    `Export \`${result.data.dir}\`, split \`${result.data.split}\` (${result.data.n_images} images), ${result.created_at}. ` +
      'Focusing error = |predicted - true defocus|. Sign errors are counted where |true| >= 1 um. ' +
      'Within DOF: |error| <= DOF/2 with DOF = lambda n / NA^2 + n e / (M NA), lambda = 0.55 um, e = camera pixel pitch.',
    '',
  );
  lines.push('## Summary (cf. the LDSE-NET paper, Table 1)', '');
  lines.push(
    '| Model | Architecture | Patches | Focusing error (um) | Focusing error (nm) | RMSE (um) | Sign errors | Within DOF (DOF um) | Size | Parameters | ms / patch | ms / 2592x1944 frame | Training time | Final loss (train / test) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const m of models) {
    lines.push(
      `| ${m.model} | ${m.architecture}${m.target === 'magnitude' ? ' (reads abs(d))' : ''} | ${m.n_patches} | ${fmt(m.error_mean_um)} +- ${fmt(m.error_std_um)} | ` +
        `${fmt(m.error_mean_nm, 0)} +- ${fmt(m.error_std_nm, 0)} | ${fmt(m.rmse_um)} | ${pct(m.sign_error_rate)} | ` +
        `${pct(m.within_dof)} (${fmt(m.dof_um, 2)}) | ${formatBytes(m.size_bytes)} | ${m.parameters.toLocaleString('en-US')} | ` +
        `${fmt(m.ms_per_patch, 2)} | ${m.ms_per_frame === null ? 'n/a' : `${fmt(m.ms_per_frame, 0)} (${m.patches_per_frame} patches)`} | ` +
        `${formatDuration(m.training_time_s)}${m.pretraining ? ` + ${formatDuration(m.pretraining.time_s)} pretraining (${m.pretraining.device})` : ''} | ${formatLoss(m.final_train_loss)} / ${formatLoss(m.final_test_loss)} |`,
    );
  }
  lines.push('');
  lines.push('## Mean focusing error by true defocus range (um)', '');
  lines.push(
    `| Model | ${DEFOCUS_RANGES.map((r) => `${r.key} um`).join(' | ')} |`,
    `|---|${DEFOCUS_RANGES.map(() => '---:').join('|')}|`,
  );
  for (const m of models) {
    lines.push(
      `| ${m.model} | ${DEFOCUS_RANGES.map((r) => `${fmt(m.error_by_range[r.key])} (n=${m.n_by_range[r.key]})`).join(' | ')} |`,
    );
  }
  lines.push('');
  lines.push('## Ordering within stacks', '');
  lines.push(
    "Spearman's rank correlation of predicted against true defocus in each test stack (stacks of at least 5 patches), " +
      'then the median and the worst stack: 1 = the planes in their true order, -1 = reversed (the side wrong throughout).',
    '',
    '| Model | Stacks | -10..+10 um: median | worst | -5..+5 um: median | worst |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const m of models) {
    const o = m.stack_ordering;
    lines.push(
      `| ${m.model} | ${o.n_stacks} | ${fmt(o.spearman_median)} | ${fmt(o.spearman_min)} | ${fmt(o.spearman_central_median)} | ${fmt(o.spearman_central_min)} |`,
    );
  }
  lines.push('');
  lines.push('## Details', '');
  for (const m of models) {
    lines.push(
      `- **${m.model}** (${m.name}): median error ${fmt(m.error_median_um)} um, p95 ${fmt(m.error_p95_um)} um, ` +
        `bias (mean predicted - true) ${fmt(m.bias_um)} um; ${m.n_images} images; timings with ${m.threads} threads, batch ${m.timing_batch}.` +
        (m.target === 'magnitude'
          ? ' A magnitude model: its focusing error is against |d|; it cannot tell the side of focus (its sign errors are the share of the other side), which the autofocus loop finds by moving.'
          : '') +
        (m.warnings.length ? ` Warnings: ${m.warnings.join('; ')}.` : ''),
    );
  }
  if (plots.length) {
    lines.push('', '## Plots', '');
    for (const p of plots) lines.push(`![${p}](${p})`, '');
  }
  return lines.join('\n') + '\n';
}

function predictionsCsv(samples: ModelSamples[]): string {
  const rows = ['model,image,true_defocus_um,predicted_defocus_um,error_um'];
  for (const s of samples) {
    for (let i = 0; i < s.truth.length; i++) {
      const image = s.image[i].includes(',') ? `"${s.image[i].replace(/"/g, '""')}"` : s.image[i];
      rows.push(
        `${s.model},${image},${s.truth[i]},${s.predicted[i].toFixed(6)},${Math.abs(s.predicted[i] - s.truth[i]).toFixed(6)}`,
      );
    }
  }
  return rows.join('\n') + '\n';
}

async function writePlots(models: ModelEvaluation[], samples: ModelSamples[], plotDir: string): Promise<string[]> {
  const written: string[] = [];
  const colour = (i: number) => SERIES_COLOURS[i % SERIES_COLOURS.length];
  for (const [i, s] of samples.entries()) {
    const name = slug(s.model);
    const errors = s.predicted.map((p, k) => Math.abs(p - s.truth[k]));
    await writePng(
      scatterSvg({
        title: `${s.model}: predicted vs true defocus`,
        xLabel: 'true defocus (um)',
        yLabel: 'predicted defocus (um)',
        series: [{ name: s.model, colour: colour(i), x: s.truth, y: s.predicted }],
        identity: true,
      }),
      join(plotDir, `${name}-predicted-vs-true.png`),
    );
    written.push(`plots/${name}-predicted-vs-true.png`);
    await writePng(
      scatterSvg({
        title: `${s.model}: focusing error vs true defocus`,
        xLabel: 'true defocus (um)',
        yLabel: '|predicted - true| (um)',
        series: [{ name: s.model, colour: colour(i), x: s.truth, y: errors }],
        yDomain: [0, errors.reduce((a, e) => Math.max(a, e), models[i]?.dof_um ?? 1) * 1.05],
      }),
      join(plotDir, `${name}-error-vs-true.png`),
    );
    written.push(`plots/${name}-error-vs-true.png`);
  }
  const allErrors = samples.map((s) => s.predicted.map((p, k) => Math.abs(p - s.truth[k])));
  const largest = allErrors.reduce((a, errors) => errors.reduce((b, e) => Math.max(b, e), a), 0);
  await writePng(
    histogramSvg({
      title: 'Focusing error histogram',
      xLabel: '|predicted - true| (um)',
      series: samples.map((s, i) => ({ name: s.model, colour: colour(i), values: allErrors[i] })),
      xDomain: [0, largest > 0 ? largest * 1.02 : 1],
    }),
    join(plotDir, 'error-histogram.png'),
  );
  written.push('plots/error-histogram.png');
  return written;
}

export async function writeReport(
  result: EvaluationResult,
  samples: ModelSamples[],
  dir: string,
): Promise<ReportFiles> {
  const plotDir = join(dir, 'plots');
  await mkdir(plotDir, { recursive: true });
  const plots = await writePlots(result.models, samples, plotDir);
  const files: ReportFiles = {
    dir,
    markdown: join(dir, 'report.md'),
    json: join(dir, 'results.json'),
    predictions: join(dir, 'predictions.csv'),
    plots: plots.map((p) => join(dir, p)),
  };
  await writeFile(files.markdown, markdownReport(result, plots));
  await writeFile(files.json, JSON.stringify({ ...result, report: undefined }, null, 2) + '\n');
  await writeFile(files.predictions, predictionsCsv(samples));
  return files;
}
