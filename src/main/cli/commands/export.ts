import path from 'node:path';
import type { Command } from 'commander';
import type { ExportResult } from '../../../shared/procedures/dataset';
import { CliError, printJson, withApi } from '../context';
import { existingDb, parseNumber } from '../dataset-args';
import { runTask } from '../task-progress';

interface ExportOpts {
  db: string;
  out: string;
  patches?: boolean;
  patchSize: string;
  stride?: string;
  split: string;
  seed: string;
  testFraction: string;
  setup?: string;
  rejectBlank?: boolean;
  omeTiff?: boolean;
  includeExcluded?: boolean;
  includeQcFailed?: boolean;
  overwrite?: boolean;
  json?: boolean;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'export the dataset for training: manifest.csv + dataset.json + images/ (full frames or 224x224 patches), a deterministic 9:1 split by stack or slide',
    )
    .requiredOption('--db <file>', 'dataset file (.sqlite)')
    .requiredOption('--out <dir>', 'output folder (new or empty; written atomically)')
    .option('--patches', 'cut every plane into patches (default 224x224) instead of full frames')
    .option('--patch-size <px>', 'patch size (px)', '224')
    .option('--stride <px>', 'patch stride (px; default = patch size)')
    .option('--split <rule>', 'stack | slide: what may not appear on both sides', 'stack')
    .option('--seed <n>', 'seed of the split', '0')
    .option('--test-fraction <f>', 'share of stacks (or slides) in the test split', '0.1')
    .option('--setup <id>', 'only stacks of this optical setup')
    .option('--reject-blank', 'drop blank patches (judged on the plane nearest focus)')
    .option('--ome-tiff', 'also write each stack as a calibrated OME-TIFF z-stack under <out>/ome-tiff/')
    .option('--include-excluded', 'include stacks the operator excluded')
    .option('--include-qc-failed', 'include stacks whose focus QC failed')
    .option('--overwrite', 'replace a non-empty output folder')
    .option('--json', 'print the summary as JSON')
    .action(async (o: ExportOpts) => {
      const db = existingDb(o.db);
      if (o.split !== 'stack' && o.split !== 'slide') {
        throw new CliError(`--split must be stack or slide, not ${o.split}`, 2);
      }
      const task = await withApi(
        (run) =>
          runTask(run, 'dataset.export', {
            out: path.resolve(o.out),
            patches: o.patches === true,
            patchSize: parseNumber('--patch-size', o.patchSize, { int: true, min: 32, max: 2048 }),
            stride: o.stride ? parseNumber('--stride', o.stride, { int: true, min: 8, max: 4096 }) : undefined,
            split: o.split as 'stack' | 'slide',
            seed: parseNumber('--seed', o.seed, { int: true, min: 0, max: 2 ** 32 - 1 }),
            testFraction: parseNumber('--test-fraction', o.testFraction, { min: 0.01, max: 0.5 }),
            setupId: o.setup,
            rejectBlank: o.rejectBlank === true,
            omeTiff: o.omeTiff === true,
            includeExcluded: o.includeExcluded === true,
            includeQcFailed: o.includeQcFailed === true,
            overwrite: o.overwrite === true,
          }),
        { databasePath: db },
      );
      const r = task.result as ExportResult;
      if (o.json) return printJson(r);
      process.stdout.write(
        `exported ${r.images} images (${r.train} train, ${r.test} test) from ${r.stacks} stacks of ${r.slides} slides to ${r.out}` +
          `${r.rejectedPatches ? `; ${r.rejectedPatches} blank patches dropped` : ''}${r.omeTiffs ? `; ${r.omeTiffs} OME-TIFF stacks` : ''}\n` +
          `skipped stacks: ${Object.entries(r.skipped)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}\n`,
      );
    });
}
