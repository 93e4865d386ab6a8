import type { Command } from 'commander';
import { resolve } from 'node:path';
import { printJson, withApi } from '../context';

export function registerModels(program: Command): void {
  const models = program.command('models').description('list, inspect and import autofocus models');

  models
    .command('list')
    .description('models found in the user folder and the shipped resources/models')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withApi(({ api }) => api.invoke('models.list'));
      if (opts.json) return printJson(list);
      if (!list.length) return void process.stdout.write('no models found\n');
      for (const m of list) {
        process.stdout.write(
          `${m.valid ? 'ok ' : 'BAD'} ${m.id.padEnd(20)} ${(m.setupId ?? '—').padEnd(5)} ${m.path}${m.error ? `  (${m.error})` : ''}\n`,
        );
      }
    });

  models
    .command('show')
    .description("print a model's card")
    .argument('<id>', 'model id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const detail = await withApi(({ api }) => api.invoke('models.card', { id }));
      if (opts.json) return printJson(detail);
      const c = detail.card;
      process.stdout.write(
        [
          `${c.name} (${c.id}, ${c.architecture})`,
          `file: ${detail.path} (${(c.size_bytes / 1024).toFixed(0)} KB, sha256 ${c.sha256.slice(0, 12)}…)`,
          `optics: ${c.optics.setup_id} ${c.optics.magnification}x/NA ${c.optics.na}, ${c.optics.pixel_size_um} um/px`,
          `input: ${c.input.channels.join('')} ${c.input.height}x${c.input.width}, ${c.input.camera} camera; output ${c.output.unit}: ${c.output.convention}`,
          `training: ${JSON.stringify(c.training)}`,
          `metrics: ${JSON.stringify(c.metrics)}`,
        ].join('\n') + '\n',
      );
    });

  models
    .command('import')
    .description('take a retrained model back: check the .onnx + card pair, then copy it into the user models folder')
    .argument('<path>', 'the .onnx file or its .json card')
    .option('--replace', 'overwrite a user model with the same id')
    .option('--json', 'print JSON')
    .action(async (path: string, opts: { replace?: boolean; json?: boolean }) => {
      const m = await withApi(({ api }) =>
        api.invoke('models.import', { path: resolve(path), replace: Boolean(opts.replace) }),
      );
      if (opts.json) return printJson(m);
      process.stdout.write(`imported ${m.id} -> ${m.path}\n`);
    });
}
