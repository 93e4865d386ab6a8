import path from 'node:path';
import type { Command } from 'commander';
import { IMPORT_FORMATS, type ImportResult } from '../../../shared/procedures/dataset';
import { CliError, printJson, withApi } from '../context';
import { parseNumber } from '../dataset-args';
import { runTask } from '../task-progress';

interface ImportOpts {
  db: string;
  format: string;
  setup: string;
  slideName?: string;
  defocusSign?: string;
  pattern?: string;
  value?: string;
  unitUm?: string;
  nm?: boolean;
  recursive?: boolean;
  step?: string;
  zStart?: string;
  json?: boolean;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description(
      'import a foreign layout into the dataset, all or nothing, labelled d = z - z_focus (fitted where not given)',
    )
    .argument('<path>', 'folder (or TIFF file) to import')
    .requiredOption('--db <file>', 'dataset file (.sqlite; created when missing)')
    .requiredOption('--format <format>', `layout: ${IMPORT_FORMATS.join(' | ')}`)
    .requiredOption('--setup <id>', 'optical setup the images were taken with (in the dataset, or a preset: 20x, 40x)')
    .option('--slide-name <name>', 'slide name for the imported stacks (default: the folder name)')
    .option('--defocus-sign <s>', 'jiang2018: -1 flips the published defocus sign')
    .option('--pattern <regex>', 'filenames: regex with named groups key and value (optional slide)')
    .option('--value <kind>', 'filenames: the number is a defocus (labels given) or z (labels fitted)', 'defocus')
    .option('--unit-um <n>', 'filenames: um per unit of the number (0.001 for nm)')
    .option('--nm', 'filenames: the numbers are in nanometres (= --unit-um 0.001)')
    .option('--recursive', 'filenames: look into sub-folders too')
    .option('--step <um>', 'tiff-stack: z step between pages (default: from the OME-XML)')
    .option('--z-start <um>', 'tiff-stack: z of the first page', '0')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  focus-station import --db lab.sqlite ../shared/data/real-stacks/wafer-reflected --format filenames --setup 20x\n  focus-station import --db lab.sqlite /data/jiang2018 --format jiang2018 --setup 20x\n  focus-station import --db lab.sqlite stack.ome.tif --format tiff-stack --setup 40x',
    )
    .action(async (source: string, o: ImportOpts) => {
      if (!(IMPORT_FORMATS as readonly string[]).includes(o.format)) {
        throw new CliError(`--format must be one of ${IMPORT_FORMATS.join(', ')}, not ${o.format}`, 2);
      }
      if (o.value !== 'defocus' && o.value !== 'z')
        throw new CliError(`--value must be defocus or z, not ${o.value}`, 2);
      const sign =
        o.defocusSign === undefined ? undefined : parseNumber('--defocus-sign', o.defocusSign, { int: true });
      if (sign !== undefined && sign !== 1 && sign !== -1) throw new CliError('--defocus-sign must be 1 or -1', 2);
      const task = await withApi(
        (run) =>
          runTask(run, 'dataset.import', {
            path: path.resolve(source),
            format: o.format as (typeof IMPORT_FORMATS)[number],
            setupId: o.setup,
            slideName: o.slideName,
            defocusSign: sign as 1 | -1 | undefined,
            pattern: o.pattern,
            value: o.format === 'filenames' ? (o.value as 'defocus' | 'z') : undefined,
            unitUm: o.nm ? 0.001 : o.unitUm ? parseNumber('--unit-um', o.unitUm, { min: 1e-9 }) : undefined,
            recursive: o.recursive,
            stepUm: o.step ? parseNumber('--step', o.step, { min: 1e-6 }) : undefined,
            zStartUm: o.format === 'tiff-stack' ? parseNumber('--z-start', o.zStart ?? '0') : undefined,
          }),
        { databasePath: path.resolve(o.db) },
      );
      const r = task.result as ImportResult;
      if (o.json) return printJson(r);
      const lines = r.stacks.map(
        (s) =>
          `  stack ${s.id} ${s.slideName} / ${s.key}: ${s.planes} planes, z_focus ${s.zFocusUm?.toFixed(3) ?? '?'} um (${s.zFocusSource}), QC ${s.qc}${s.flags.length ? ` (${s.flags.join(', ')})` : ''}`,
      );
      process.stdout.write(
        [
          `imported ${r.images} images in ${r.stacks.length} stacks (run ${r.runId})`,
          ...lines,
          ...(r.ignored.length ? [`ignored: ${r.ignored.join(', ')}`] : []),
        ].join('\n') + '\n',
      );
    });
}
