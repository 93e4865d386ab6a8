import path from 'node:path';
import fs from 'node:fs';
import { labelFromSimulatorTruth } from '../../acquisition/simTruth';
import type { HandlersOf } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import { isSetupPresetId, SETUP_PRESETS, samplePixelSizeUm } from '../../../shared/optics';
import type { datasetProcedures, ExportResult, SetupEntry, StackDetail } from '../../../shared/procedures/dataset';
import type { Dataset } from '../../dataset/db';
import { datasetStats } from '../../dataset/stats';
import { focusCurveOf } from '../../dataset/labelling';
import { exportDataset } from '../../dataset/export/exportDataset';
import { exportStackOmeTiff } from '../../dataset/export/stackOmeTiff';
import { selectStacks } from '../../dataset/export/select';
import { importDataset } from '../../dataset/import/importDataset';
import { listImageRows, toImageSummary } from '../../dataset/repo/images';
import { getSetup, listSetups } from '../../dataset/repo/setups';
import { ensureSetup } from '../../dataset/presets';
import { listSlides } from '../../dataset/repo/slides';
import { decideStack, getStack, getStackRow, listStacksPage, stackFocusLabel } from '../../dataset/repo/stacks';
import type { Services } from '../../services/container';
import { datasetCall } from './dataset-errors';

function stackDetail(ds: Dataset, stackId: number): StackDetail {
  const row = getStackRow(ds.db, stackId);
  const summary = getStack(ds.db, stackId);
  if (!row || !summary) throw new AppError('NOT_FOUND', `stack ${stackId} does not exist`);
  return {
    ...summary,
    label: stackFocusLabel(row),
    autoZFocusUm: row.auto_z_focus_um,
    autoZFocusSource: row.auto_z_focus_source,
    operatorNote: row.operator_note,
    z0Um: row.z0_um,
    renderParams: row.render_params ? (JSON.parse(row.render_params) as Record<string, unknown>) : null,
  };
}

function requireStack(ds: Dataset, stackId: number): void {
  if (!getStackRow(ds.db, stackId)) throw new AppError('NOT_FOUND', `stack ${stackId} does not exist`);
}

function setupEntries(ds: Dataset): SetupEntry[] {
  const counts = new Map(datasetStats(ds).bySetup.map((b) => [b.setupId, b]));
  const entries: SetupEntry[] = listSetups(ds.db).map((s) => ({
    id: s.id,
    name: s.name,
    magnification: s.magnification,
    na: s.na,
    pixelSizeUm: s.pixelSizeUm,
    condenserSigma: s.condenserSigma,
    inDataset: true,
    preset: s.id in SETUP_PRESETS,
    stacks: counts.get(s.id)?.stacks ?? 0,
    images: counts.get(s.id)?.images ?? 0,
  }));
  for (const p of Object.values(SETUP_PRESETS)) {
    if (entries.some((e) => e.id === p.id)) continue;
    entries.push({
      id: p.id,
      name: p.name,
      magnification: p.magnification,
      na: p.na,
      pixelSizeUm: samplePixelSizeUm(p),
      condenserSigma: p.condenserSigma,
      inDataset: false,
      preset: true,
      stacks: 0,
      images: 0,
    });
  }
  return entries;
}

function trueDefocusOf(meta: string | null): number | null {
  if (!meta) return null;
  const v = (JSON.parse(meta) as { trueDefocusUm?: unknown }).trueDefocusUm;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function datasetHandlers(s: Services): HandlersOf<typeof datasetProcedures> {
  const ds = () => s.dataset.get();
  return {
    'dataset.info': () =>
      datasetCall(() => {
        const d = ds();
        return { path: d.file, imagesDir: d.imagesDir, schemaVersion: d.schemaVersion };
      }),
    'dataset.stats': () => datasetCall(() => datasetStats(ds())),
    'dataset.setups': () => datasetCall(() => setupEntries(ds())),
    'dataset.slides': () => datasetCall(() => listSlides(ds().db)),
    'dataset.stacks': ({ offset, limit, thumbnails, ...filter }) =>
      datasetCall(async () => {
        const page = listStacksPage(ds().db, filter, offset, limit);
        const stacks = [];
        for (const st of page.stacks) {
          stacks.push({ ...st, thumbnail: thumbnails ? await s.dataset.thumbnail(st.id) : null });
        }
        return { total: page.total, offset, limit, stacks };
      }),
    'dataset.stack': ({ stackId }) => datasetCall(() => stackDetail(ds(), stackId)),
    'dataset.focusCurve': ({ stackId, metric }) =>
      datasetCall(() => {
        requireStack(ds(), stackId);
        return focusCurveOf(ds().db, stackId, metric);
      }),
    'dataset.images': ({ stackId }) =>
      datasetCall(() => {
        requireStack(ds(), stackId);
        const images = listImageRows(ds().db, stackId).map((r) => {
          const i = toImageSummary(r);
          return {
            id: i.id,
            planeIndex: i.planeIndex,
            zUm: i.zUm,
            defocusUm: i.defocusUm,
            exposureMs: i.exposureMs,
            sharpness: i.sharpness,
            trueDefocusUm: trueDefocusOf(r.meta),
          };
        });
        return { stackId, images };
      }),
    'dataset.decide': ({ stackId, decision }) =>
      datasetCall(() => {
        requireStack(ds(), stackId);
        decideStack(ds().db, stackId, decision);
        return stackDetail(ds(), stackId);
      }),
    'dataset.labelFromSimTruth': ({ kinds }) =>
      datasetCall(() => {
        const r = labelFromSimulatorTruth(ds(), kinds);
        const n = r.fitOffsetsUm.length;
        return {
          relabelled: r.relabelled,
          skipped: r.skipped,
          fitOffsetMeanUm: n ? r.fitOffsetsUm.reduce((a, b) => a + b, 0) / n : null,
          fitOffsetMaxUm: n ? Math.max(...r.fitOffsetsUm) : null,
        };
      }),
    'dataset.export': async (input) => {
      const d = await datasetCall(ds);
      const task = s.tasks.start(
        { kind: 'dataset.export', title: `Export to ${path.basename(input.out)}`, uses: ['cpu'] },
        (ctx) =>
          datasetCall(async (): Promise<ExportResult> => {
            const { omeTiff, ...o } = input;
            const summary = await exportDataset({
              ...o,
              db: d,
              signal: ctx.signal,
              onProgress: (p) =>
                ctx.progress(p.done, p.total || undefined, `${p.phase}${p.message ? `: ${p.message}` : ''}`),
            });
            let omeTiffs = 0;
            if (omeTiff) {
              const stacks = selectStacks(d.db, o).stacks;
              const dir = path.join(summary.out, 'ome-tiff');
              fs.mkdirSync(dir, { recursive: true });
              for (const st of stacks) {
                await ctx.checkpoint();
                await exportStackOmeTiff(d, st.id, path.join(dir, `s${String(st.id).padStart(6, '0')}.ome.tif`));
                ctx.progress(++omeTiffs, stacks.length, `OME-TIFF ${omeTiffs}/${stacks.length}`);
              }
            }
            return { ...summary, omeTiffs };
          }),
      );
      return { taskId: task.id };
    },
    'dataset.import': async (input) => {
      const d = await datasetCall(ds);
      const addPreset = !getSetup(d.db, input.setupId);
      if (addPreset && !isSetupPresetId(input.setupId)) {
        throw new AppError(
          'NOT_FOUND',
          `Optical setup "${input.setupId}" is neither in the dataset nor a preset (${Object.keys(SETUP_PRESETS).join(', ')})`,
        );
      }
      const task = s.tasks.start(
        {
          kind: 'dataset.import',
          title: `Import ${input.format} from ${path.basename(input.path)}`,
          uses: ['dataset'],
        },
        (ctx) =>
          datasetCall(async () => {
            // A preset setup is added for the import and taken out again if the import fails: all or nothing.
            if (addPreset) ensureSetup(d.db, input.setupId);
            try {
              return await importDataset({
                ...input,
                db: d,
                signal: ctx.signal,
                onProgress: (p) => ctx.progress(p.done, p.total || undefined, p.phase),
              });
            } catch (err) {
              if (addPreset)
                d.db
                  .prepare('DELETE FROM setups WHERE id = ? AND NOT EXISTS (SELECT 1 FROM stacks WHERE setup_id = ?)')
                  .run(input.setupId, input.setupId);
              throw err;
            }
          }),
      );
      return { taskId: task.id };
    },
    'dataset.exportStackOmeTiff': ({ stackId, file }) =>
      datasetCall(async () => {
        requireStack(ds(), stackId);
        return exportStackOmeTiff(ds(), stackId, path.resolve(file));
      }),
  };
}
