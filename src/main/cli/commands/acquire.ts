import path from 'node:path';
import type { Command } from 'commander';
import type { AcquireResult } from '../../acquisition/engine';
import type { SimGenerationResult } from '../../acquisition/simDataset';
import { CliError, printJson, withApi } from '../context';
import { collectList, parseGrid, parseNumber, parseRoi, parseZRange } from '../dataset-args';
import { runTask } from '../task-progress';

interface AcquireOpts {
  db: string;
  sim?: boolean;
  setup?: string;
  slides?: string;
  slidesList?: string;
  exclude?: string[];
  grid: string;
  gridStep: string;
  range: string;
  seed: string;
  roi?: string;
  randomize: boolean;
  focusJitter: string;
  renderThreads?: string;
  resume?: boolean;
  slide: string;
  z0?: string;
  settle: string;
  json?: boolean;
}

function simSummary(r: SimGenerationResult): string {
  const lines = r.slides.map(
    (s) =>
      `  ${s.slide.padEnd(40)} ${s.state.padEnd(10)} run ${s.runId ?? '-'}  ${s.stacks} stacks  ${s.planesStored} planes`,
  );
  return [
    `synthetic generation ${r.state}: ${r.stacks} stacks, ${r.planesStored}/${r.planesTotal} planes`,
    ...lines,
  ].join('\n');
}

function acquireSummary(r: AcquireResult): string {
  const lines = r.stacks.map(
    (s) =>
      `  stack ${s.id} (position ${s.positionIndex}): z_focus ${s.zFocusUm?.toFixed(3) ?? '?'} um, QC ${s.qc}${s.flags.length ? ` (${s.flags.join(', ')})` : ''}`,
  );
  return [`run ${r.runId} ${r.state}: ${r.planesStored}/${r.planesTotal} planes`, ...lines].join('\n');
}

export function registerAcquire(program: Command): void {
  program
    .command('acquire')
    .description(
      'acquire defocus stacks into a dataset: on the microscope in use, or (--sim) a synthetic training set rendered by the virtual microscope over many slides and positions with domain randomisation',
    )
    .requiredOption('--db <file>', 'dataset file (.sqlite; created when missing, images beside it)')
    .option(
      '--sim',
      'synthetic generation on the virtual microscope (every random choice and the true focus are recorded)',
    )
    .option('--setup <id>', 'optical setup (--sim: 20x or 40x; default 20x / the microscope in use)')
    .option(
      '--slides <dir>',
      '--sim: a folder of slide images (every image in it) or one image; default: the shipped slide',
    )
    .option('--slides-list <file>', '--sim: a text file naming the slides to use, one per line')
    .option('--exclude <names>', '--sim: slide names to hold out (comma-separated, repeatable)', collectList, [])
    .option('--grid <NxM>', 'lateral positions, N along x by M along y', '1x1')
    .option('--grid-step <um>', 'step between positions (um)', '1000')
    .option('--range <from:to:step>', 'planes relative to z0 (um)', '-10:10:0.5')
    .option('--seed <n>', '--sim: seed of every random choice', '0')
    .option('--roi <WxH>', '--sim: camera region of interest in px (keeps generation fast), e.g. 896x896')
    .option('--randomize', '--sim: domain randomisation per stack', true)
    .option('--no-randomize', '--sim: every stack with the preset optics and camera')
    .option('--focus-jitter <um>', '--sim: true focus drawn within +- this of z0 per stack', '1.5')
    .option('--render-threads <n>', '--sim: render threads (0, 1, 2; default by frame size)')
    .option('--resume', 'continue where an interrupted run stopped (--sim: repeat the same options)')
    .option('--slide <name>', 'slide / sample name (microscope acquisition)', 'slide')
    .option('--z0 <um>', 'z of "in focus here" (microscope acquisition; default: the current z)')
    .option('--settle <ms>', 'extra settle time after each move (ms)', '0')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  focus-station acquire --sim --db train.sqlite --slides ../shared/data/slides --grid 4x5 --roi 896x896 --seed 1\n  focus-station acquire --sim --db train.sqlite --slides ../shared/data/slides --grid 4x5 --roi 896x896 --seed 1 --resume\n  focus-station acquire --db lab.sqlite --slide "kidney 12" --grid 2x2\n\nCtrl-C stops cleanly: stored planes are kept; --sim --resume continues a stopped generation, --resume an interrupted acquisition.',
    )
    .action(async (o: AcquireOpts) => {
      const db = path.resolve(o.db);
      const range = parseZRange(o.range);
      const grid = { ...parseGrid(o.grid), stepUm: parseNumber('--grid-step', o.gridStep, { min: 1, max: 100_000 }) };
      const settleMs = parseNumber('--settle', o.settle, { int: true, min: 0, max: 60_000 });
      if (o.sim) {
        const task = await withApi(
          (run) =>
            runTask(run, 'acquisition.simulate', {
              setupId: o.setup ?? '20x',
              slides: o.slides ? path.resolve(o.slides) : undefined,
              slidesList: o.slidesList ? path.resolve(o.slidesList) : undefined,
              exclude: o.exclude ?? [],
              grid,
              range,
              seed: parseNumber('--seed', o.seed, { int: true, min: 0, max: 2 ** 32 - 1 }),
              roi: o.roi ? parseRoi(o.roi) : undefined,
              randomize: o.randomize,
              focusJitterUm: parseNumber('--focus-jitter', o.focusJitter, { min: 0, max: 5 }),
              renderThreads: o.renderThreads
                ? (parseNumber('--render-threads', o.renderThreads, { int: true, min: 0, max: 2 }) as 0 | 1 | 2)
                : undefined,
              resume: o.resume === true,
            }),
          { databasePath: db },
        );
        const result = task.result as SimGenerationResult;
        if (o.json) printJson(result);
        else process.stdout.write(`${simSummary(result)}\n`);
        return;
      }
      for (const simOnly of ['slides', 'slidesList', 'roi'] as const) {
        if (o[simOnly]) throw new CliError(`--${simOnly.replace('List', '-list')} is for --sim only`, 2);
      }
      const task = await withApi(
        async (run) => {
          if (o.resume) {
            const runs = await run.api.invoke('acquisition.resumable');
            if (runs.length === 0) throw new CliError(`no interrupted acquisition run in ${db}`);
            const last = runs[runs.length - 1];
            process.stderr.write(
              `resuming run ${last.runId} (${last.slideName ?? '?'}: ${last.planesDone}/${last.planesTotal} planes)\n`,
            );
            return runTask(run, 'acquisition.resume', { runId: last.runId });
          }
          const status = await run.api.invoke('hardware.status');
          const z0Um = o.z0 !== undefined ? parseNumber('--z0', o.z0) : status.position.zUm;
          return runTask(run, 'acquisition.start', {
            slideName: o.slide,
            setupId: o.setup ?? status.setupId,
            z0Um,
            range,
            grid,
            settleMs,
          });
        },
        { databasePath: db },
      );
      const result = task.result as AcquireResult;
      if (o.json) printJson(result);
      else process.stdout.write(`${acquireSummary(result)}\n`);
    });
}
