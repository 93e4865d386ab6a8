import type { Command } from 'commander';
import type { DatasetStats } from '../../../shared/dataset';
import { CliError, printJson, withApi } from '../context';
import { existingDb, parseNumber } from '../dataset-args';

function statsText(s: DatasetStats): string {
  return [
    `slides ${s.slides}, stacks ${s.stacks}, images ${s.images} (schema ${s.schemaVersion})`,
    ...s.bySetup.map(
      (b) =>
        `  setup ${b.setupId.padEnd(8)} ${String(b.stacks).padStart(6)} stacks ${String(b.images).padStart(8)} images  ${b.name}`,
    ),
    `QC: pass ${s.stacksByVerdict.pass}, warn ${s.stacksByVerdict.warn}, fail ${s.stacksByVerdict.fail}, unlabelled ${s.stacksByVerdict.unlabelled}`,
    `operator: auto ${s.stacksByOperator.auto}, accepted ${s.stacksByOperator.accepted}, overridden ${s.stacksByOperator.overridden}, excluded ${s.stacksByOperator.excluded}`,
    `runs ${s.runs.total} (${Object.entries(s.runs.byState)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}), autofocus runs ${s.autofocusRuns} (${s.hardExamples} hard examples), models ${s.models}`,
  ].join('\n');
}

export function registerDataset(program: Command): void {
  const dataset = program
    .command('dataset')
    .description('look into a dataset: counts (stats) and stacks')
    .requiredOption('--db <file>', 'dataset file (.sqlite)');

  dataset
    .command('stats')
    .description('counts: slides, stacks, images, by setup, by QC verdict and operator decision, runs')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const db = existingDb((cmd.optsWithGlobals() as { db: string }).db);
      const stats = await withApi(({ api }) => api.invoke('dataset.stats'), { databasePath: db });
      if (o.json) printJson(stats);
      else process.stdout.write(`${statsText(stats)}\n`);
    });

  dataset
    .command('stacks')
    .description('stacks, newest first: setup, slide, planes, z_focus, QC and operator status')
    .option('--setup <id>', 'only this optical setup')
    .option('--limit <n>', 'how many', '50')
    .option('--offset <n>', 'skip this many', '0')
    .option('--json', 'print JSON')
    .action(async (o: { setup?: string; limit: string; offset: string; json?: boolean }, cmd: Command) => {
      const db = existingDb((cmd.optsWithGlobals() as { db: string }).db);
      const page = await withApi(
        ({ api }) =>
          api.invoke('dataset.stacks', {
            setupId: o.setup,
            limit: parseNumber('--limit', o.limit, { int: true, min: 1, max: 200 }),
            offset: parseNumber('--offset', o.offset, { int: true, min: 0 }),
            thumbnails: false,
          }),
        { databasePath: db },
      );
      if (o.json)
        return printJson({
          total: page.total,
          offset: page.offset,
          stacks: page.stacks.map(({ thumbnail: _t, ...s }) => s),
        });
      const rows = page.stacks.map(
        (s) =>
          `${String(s.id).padStart(6)}  ${s.setupId.padEnd(6)} ${s.slideName.slice(0, 30).padEnd(30)} ${String(s.nImages).padStart(4)}  ${s.zFocusUm === null ? '      -' : s.zFocusUm.toFixed(3).padStart(7)}  ${(s.qcVerdict ?? '-').padEnd(5)} ${s.operatorStatus.padEnd(10)} ${s.qcFlags.join(',')}`,
      );
      process.stdout.write(
        [
          `    id  setup  slide                          planes z_focus  QC    operator   flags`,
          ...rows,
          `${page.stacks.length} of ${page.total} stacks`,
        ].join('\n') + '\n',
      );
    });

  dataset
    .command('label-from-truth')
    .description("synthetic stacks: label from the simulator's true best focus (the sharpness fit is kept as QC)")
    .option('--kind <kind>', 'which samples: unstained (phase objects, where sharpness fails) or all', 'unstained')
    .option('--json', 'print JSON')
    .action(async (o: { kind: string; json?: boolean }, cmd: Command) => {
      const db = existingDb((cmd.optsWithGlobals() as { db: string }).db);
      if (o.kind !== 'unstained' && o.kind !== 'all')
        throw new CliError(`--kind must be unstained or all, not ${o.kind}`, 2);
      const kinds: Array<'stained' | 'unstained'> = o.kind === 'all' ? ['stained', 'unstained'] : ['unstained'];
      const r = await withApi(({ api }) => api.invoke('dataset.labelFromSimTruth', { kinds }), { databasePath: db });
      if (o.json) return printJson(r);
      process.stdout.write(
        `${r.relabelled} stacks labelled from the simulator's truth, ${r.skipped} left as they were; ` +
          `the sharpness fit was off by ${r.fitOffsetMeanUm?.toFixed(3) ?? '-'} um on average (max ${r.fitOffsetMaxUm?.toFixed(3) ?? '-'} um)\n`,
      );
    });
}
