import type { Command } from 'commander';
import { resolve } from 'node:path';
import {
  AutofocusMethod,
  formatSignedUm,
  type AutofocusResult,
  type AutofocusSettingsInput,
} from '../../../shared/autofocus';
import { isSetupPresetId, type SimOptions } from '../../../shared/optics';
import { mulberry32Seeded } from '../../autofocus/random';
import { CliError, printJson, withApi } from '../context';
import { runTask } from '../task-progress';

interface AutofocusCliOptions {
  sim?: boolean;
  setup: string;
  slide?: string;
  startDefocus?: string;
  method: string;
  seed: string;
  model?: string;
  roi?: string;
  realtime?: boolean;
  db?: string;
  allowMismatch?: boolean;
  json?: boolean;
}

function parseRoi(text: string | undefined): { width: number; height: number } | undefined {
  if (!text) return undefined;
  const m = /^(\d+)x(\d+)$/i.exec(text.trim());
  if (!m) throw new CliError(`--roi must be WIDTHxHEIGHT in camera pixels (e.g. 1280x960), not ${text}`, 2);
  return { width: Number(m[1]), height: Number(m[2]) };
}

function number(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v)) throw new CliError(`${what} must be a number, not ${text}`, 2);
  return v;
}

export function registerAutofocus(program: Command): void {
  program
    .command('autofocus')
    .description('autofocus the microscope now (network + verify + fallback, or a classic sweep) and print the result')
    .option('--sim', 'on a fresh virtual microscope whose true focus is known (prints the true remaining defocus)')
    .option('--setup <id>', 'optical setup of the virtual microscope: 20x | 40x', '20x')
    .option('--slide <image>', 'slide image for the virtual microscope (default: the shipped slide)')
    .option('--start-defocus <um>', 'true defocus to start from (default: random in -10..+10 um from the seed)')
    .option('--method <method>', 'net | sweep | coarse-to-fine', 'net')
    .option('--seed <n>', 'seed of the virtual microscope (noise) and of the random start', '1')
    .option('--model <id|path>', 'model to use (default: the registry model for the setup)')
    .option('--roi <WxH>', 'camera region of interest of the virtual microscope (default: the full sensor)')
    .option('--realtime', 'simulate move, settle and exposure times (default: instant)')
    .option('--allow-mismatch', 'use a model made for another optical setup')
    .option('--db <file>', 'dataset the run is stored in (default: the app data folder)')
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: AutofocusCliOptions) => {
      const method = AutofocusMethod.safeParse(opts.method);
      if (!method.success) throw new CliError(`--method must be net, sweep or coarse-to-fine, not ${opts.method}`, 2);
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed) || seed < 0)
        throw new CliError(`--seed must be a non-negative integer, not ${opts.seed}`, 2);
      if (!isSetupPresetId(opts.setup)) throw new CliError(`--setup must be 20x or 40x, not ${opts.setup}`, 2);
      const start =
        number(opts.startDefocus, '--start-defocus') ?? (opts.sim ? -10 + 20 * mulberry32Seeded(seed) : undefined);
      const sim: SimOptions | undefined = opts.sim
        ? {
            setup: opts.setup,
            ...(opts.slide ? { slidePath: resolve(opts.slide) } : {}),
            seed,
            zFocusUm: 0,
            zStart: start,
            timeScale: opts.realtime ? 1 : 0,
            roi: parseRoi(opts.roi),
          }
        : undefined;
      const settings: Partial<AutofocusSettingsInput> = {};
      if (opts.model) settings.model = opts.model;
      if (opts.allowMismatch) settings.allowModelMismatch = true;
      const out = await withApi(
        async (run) => {
          const truth = () => run.services.hardware.devices.sim?.truth().defocusUm ?? null;
          const startDefocus = truth();
          const task = await runTask(run, 'autofocus.run', { method: method.data, settings }, { quiet: opts.json });
          const result = task.result as AutofocusResult;
          return { result, startDefocus, finalDefocus: truth() };
        },
        { ...(sim ? { sim } : {}), ...(opts.db ? { databasePath: resolve(opts.db) } : {}) },
      );
      const { result: r } = out;
      const decided = r.decidedBy === 'none' ? r.method : r.decidedBy;
      if (['stage-error', 'camera-error', 'no-model', 'model-mismatch'].includes(r.outcome)) process.exitCode = 1;
      if (opts.json) {
        return printJson({
          start_defocus_um: out.startDefocus,
          final_defocus_um: out.finalDefocus,
          images: r.images,
          moves: r.moves.length,
          elapsed_ms: Math.round(r.elapsedMs),
          method: decided,
          outcome: r.outcome,
          message: r.message,
          requested_method: r.method,
          fallback_reason: r.fallbackReason,
          model: r.modelId,
          estimate_um: r.estimateUm,
          confidence: r.confidence,
          residual_um: r.residualUm,
          compute_ms_per_frame: r.computeMsPerFrame === null ? null : Math.round(r.computeMsPerFrame * 10) / 10,
          start_z_um: r.startZUm,
          final_z_um: r.finalZUm,
          regions: r.regions,
          run_id: r.runId,
          hard_example: r.hardExample,
          ...(r.hint ? { hint: r.hint } : {}),
        });
      }
      const lines = [
        `${r.outcome}: ${r.message}`,
        `method ${decided}${r.modelId ? ` (model ${r.modelId})` : ''}; ${r.images} images, ${r.moves.length} moves, ${(r.elapsedMs / 1000).toFixed(2)} s`,
        `z ${r.startZUm.toFixed(2)} -> ${r.finalZUm.toFixed(2)} um (moved ${formatSignedUm(r.finalZUm - r.startZUm)})`,
      ];
      if (r.estimateUm !== null)
        lines.push(`first estimate ${formatSignedUm(r.estimateUm)}, confidence ${r.confidence?.toFixed(2)}`);
      if (r.hint) lines.push(`hint: ${r.hint} (focus-station call autofocus.whiteReference.take)`);
      if (out.startDefocus !== null && out.finalDefocus !== null) {
        lines.push(`true defocus ${formatSignedUm(out.startDefocus)} -> ${formatSignedUm(out.finalDefocus)}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
