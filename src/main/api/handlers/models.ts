import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HandlersOf } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import type { modelsProcedures } from '../../../shared/procedures/models';
import { evaluate } from '../../evaluation';
import type { Services } from '../../services/container';

export function modelsHandlers(s: Services): HandlersOf<typeof modelsProcedures> {
  return {
    'models.list': () => s.models.list(),
    'models.card': async ({ id }) => {
      const e = await s.models.card(id);
      return {
        id: e.id,
        name: e.card.name,
        path: e.path,
        cardPath: e.cardPath,
        valid: e.valid,
        setupId: e.card.optics.setup_id,
        ...(e.error ? { error: e.error.message } : {}),
        card: e.card,
      };
    },
    'models.import': ({ path, replace }) => s.models.import(path, { replace }),
    'models.evaluate': async ({ models, dataDir, reportDir, split }) => {
      const engine = await s.models.engine();
      const task = s.tasks.start(
        { kind: 'evaluate', title: `Evaluate ${models.join(', ')}`, uses: ['cpu'] },
        async (ctx) => {
          const result = await evaluate({
            models,
            dataDir,
            reportDir,
            split,
            engine,
            signal: ctx.signal,
            onProgress: (p) => ctx.progress(p.done, p.total, `${p.model}: ${p.phase}`),
          });
          return result;
        },
      );
      return { taskId: task.id };
    },
    'models.report': async ({ dir }) => {
      const markdown = await readFile(join(dir, 'report.md'), 'utf8').catch(() => {
        throw new AppError('NOT_FOUND', `No evaluation report in ${dir} (report.md missing)`);
      });
      const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8').catch(() => 'null'));
      const plotDir = join(dir, 'plots');
      const names = (await readdir(plotDir).catch(() => [] as string[])).filter((n) => n.endsWith('.png')).sort();
      const plots = await Promise.all(
        names.map(async (name) => ({
          name,
          image: `data:image/png;base64,${(await readFile(join(plotDir, name))).toString('base64')}`,
        })),
      );
      return { dir, markdown, results, plots };
    },
  };
}
