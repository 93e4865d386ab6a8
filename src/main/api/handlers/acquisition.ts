import type { HandlersOf } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import type { acquisitionProcedures, ResumableRun } from '../../../shared/procedures/acquisition';
import type { TaskInfo } from '../../../shared/schemas/task';
import { acquire, findResumableRuns, type AcquireOptions, type AcquireResult } from '../../acquisition/engine';
import { quickFocusCurve } from '../../acquisition/coarseFocus';
import { checkPlan, engineParams, planFor, recordPlaneTime, TaskControl } from '../../acquisition/session';
import { generateSimDataset, simPreflight, type SimGenerationResult } from '../../acquisition/simDataset';
import { resolveSimSlides } from '../../acquisition/simSlides';
import type { Dataset } from '../../dataset/db';
import { ensureSetup } from '../../dataset/presets';
import { getRun, setRunState, type Run } from '../../dataset/repo/runs';
import { getOrCreateSlide, getSlide } from '../../dataset/repo/slides';
import { labelFocusCurve } from '../../focus/label';
import type { Services } from '../../services/container';
import type { TaskContext } from '../../tasks/task-manager';
import { datasetCall } from './dataset-errors';

const ACQUISITION = 'acquisition';
const isActive = (t: TaskInfo) => t.state === 'running' || t.state === 'paused';

function devicesOf(s: Services) {
  const m = s.hardware.devices;
  return { camera: m.camera, z: m.zStage, xy: m.xyStage };
}

const isSimRun = (r: Run) => (r.params as { sim?: unknown })?.sim !== undefined;

function resumableOf(ds: Dataset): ResumableRun[] {
  return findResumableRuns(ds)
    .filter((r) => !isSimRun(r))
    .map((r) => ({
      runId: r.id,
      state: r.state,
      slideName: r.slideId ? (getSlide(ds.db, r.slideId)?.name ?? null) : null,
      setupId: r.setupId,
      source: r.source,
      planesDone: r.planesDone,
      planesTotal: r.planesTotal,
      startedAt: r.startedAt,
      updatedAt: r.updatedAt,
      error: r.error,
    }));
}

/** The engine's outcome as the task's outcome: cancelled and interrupted runs end the task accordingly. */
function settleOutcome(res: AcquireResult, ctx: TaskContext): AcquireResult {
  if (res.state === 'cancelled') throw ctx.signal.reason ?? new AppError('CANCELLED', 'Acquisition was cancelled');
  if (res.state === 'interrupted') {
    throw new AppError(
      'HARDWARE',
      `Acquisition interrupted: ${res.error ?? 'device error'}; fix it and resume the run`,
      {
        runId: res.runId,
      },
    );
  }
  return res;
}

export function acquisitionHandlers(s: Services): HandlersOf<typeof acquisitionProcedures> {
  const ds = () => s.dataset.get();
  const acquisitionRunning = () => s.tasks.list().some((t) => t.kind === ACQUISITION && isActive(t));
  const refuseWhileAcquiring = (what: string) => {
    if (acquisitionRunning()) throw new AppError('CONFLICT', `Cannot ${what} while an acquisition is running`);
  };

  /** Starts the engine as a task with pause/resume/cancel, progress in planes (this session's) and ETA. */
  function startEngineTask(title: string, opts: Omit<AcquireOptions, 'db' | 'devices'>, total: number, done: number) {
    const d = ds();
    let taskId = '';
    const info = s.tasks.start(
      { kind: ACQUISITION, title, total: total - done, canPause: true, uses: ['stage', 'camera', 'dataset'] },
      async (ctx) => {
        const t0 = Date.now();
        let stored = 0;
        const res = await datasetCall(() =>
          acquire({
            ...opts,
            db: d,
            devices: devicesOf(s),
            signal: ctx.signal,
            control: new TaskControl(s.tasks, () => taskId, ctx),
            onProgress: (p) => {
              stored = p.done - done;
              const where = `stack ${p.positionIndex + 1}/${p.nPositions}, plane ${p.planeIndex + 1}/${p.nPlanes}`;
              const msg = p.stack
                ? `stack ${p.positionIndex + 1}: z_focus ${p.stack.zFocusUm?.toFixed(2) ?? '?'} um (${p.stack.qc})`
                : p.state !== 'running' && p.state !== 'paused'
                  ? (p.message ?? p.state)
                  : p.state === 'paused'
                    ? `paused at ${where}`
                    : `${where}${p.zUm !== null ? `, z ${p.zUm.toFixed(2)} um` : ''}`;
              ctx.progress(stored, p.total - done, msg);
            },
          }),
        );
        recordPlaneTime((Date.now() - t0) / 1000, stored);
        return settleOutcome(res, ctx);
      },
    );
    taskId = info.id;
    return { taskId: info.id };
  }

  return {
    'acquisition.plan': async (r) => {
      const dev = devicesOf(s);
      const origin = await dev.xy.position();
      return planFor(r, dev, origin);
    },

    'acquisition.start': async (r) => {
      refuseWhileAcquiring('start another acquisition');
      const dev = devicesOf(s);
      const origin = await dev.xy.position();
      const plan = planFor(r, dev, origin);
      checkPlan(plan, r, dev);
      return datasetCall(() => {
        const d = ds();
        const setup = ensureSetup(d.db, r.setupId);
        const slide = getOrCreateSlide(d.db, { name: r.slideName, sample: r.sample ?? null, stain: r.stain ?? null });
        const kind = dev.camera.info().kind;
        const source = kind === 'sim' || kind === 'placeholder' ? 'sim' : 'acquired';
        const params = engineParams(r, { slideId: slide.id, setupId: setup.id }, origin, source);
        return startEngineTask(`Acquire ${r.slideName} (${plan.totalPlanes} planes)`, { params }, plan.totalPlanes, 0);
      });
    },

    'acquisition.resumable': () => datasetCall(() => resumableOf(ds())),

    'acquisition.resume': async ({ runId }) => {
      refuseWhileAcquiring('resume a run');
      return datasetCall(() => {
        const run = getRun(ds().db, runId);
        if (!run || run.kind !== 'acquisition') throw new AppError('NOT_FOUND', `No acquisition run ${runId}`);
        if (isSimRun(run)) {
          throw new AppError(
            'CONFLICT',
            `Run ${runId} is a synthetic generation: resume it with \`focus-station acquire --sim --resume\` and the same options`,
          );
        }
        const slide = run.slideId ? getSlide(ds().db, run.slideId)?.name : undefined;
        return startEngineTask(
          `Resume ${slide ?? `run ${runId}`} (${run.planesTotal - run.planesDone} planes left)`,
          { resumeRunId: runId, reopenCancelled: true },
          run.planesTotal,
          run.planesDone,
        );
      });
    },

    'acquisition.abandon': ({ runId }) =>
      datasetCall(() => {
        const run = resumableOf(ds()).find((r) => r.runId === runId);
        if (!run) throw new AppError('NOT_FOUND', `Run ${runId} is not an interrupted acquisition`);
        setRunState(ds().db, runId, 'cancelled', { error: 'abandoned by the operator' });
        return { ok: true as const };
      }),

    'acquisition.quickFocus': async ({ centerUm, halfRangeUm, stepUm, metric, settleMs }) => {
      refuseWhileAcquiring('sweep the focus');
      const dev = devicesOf(s);
      const r = await quickFocusCurve({
        camera: dev.camera,
        z: dev.z,
        centerUm,
        halfRangeUm,
        stepUm,
        metric,
        settleMs,
        moveToBest: false,
      });
      await s.hardware.position().then((p) => s.bus.emit('stage.position', p));
      const { fitted } = labelFocusCurve(r.points, r.label.metric, r.label.fit);
      return { points: r.points, fitted, label: r.label, zBestUm: r.zBestUm };
    },

    'acquisition.goToZ': async ({ zUm, overshootUm }) => {
      refuseWhileAcquiring('move Z');
      if (overshootUm > 0) await s.hardware.moveTo('z', zUm - overshootUm);
      return s.hardware.moveTo('z', zUm);
    },

    'acquisition.inFocusHere': async () => {
      const p = await s.hardware.position();
      return { z0Um: p.zUm, xUm: p.xUm, yUm: p.yUm };
    },

    'acquisition.simulate': async (r) => {
      const slides = await datasetCall(() => resolveSimSlides(r));
      const d = await datasetCall(ds);
      await datasetCall(() => simPreflight({ ...r, db: d, slides }));
      const info = s.tasks.start(
        {
          kind: 'acquisition.simulate',
          title: `Synthetic dataset: ${slides.length} slide${slides.length > 1 ? 's' : ''}, ${r.grid.nx}x${r.grid.ny} positions`,
          canPause: true,
          uses: ['dataset', 'cpu'],
        },
        async (ctx): Promise<SimGenerationResult> => {
          const res = await datasetCall(() =>
            generateSimDataset({
              ...r,
              db: d,
              slides,
              signal: ctx.signal,
              control: new TaskControl(s.tasks, () => info.id, ctx),
              onProgress: (p) =>
                ctx.progress(
                  p.doneHere,
                  p.totalHere,
                  `${p.slide} (${p.slideIndex + 1}/${p.nSlides}): ${p.done}/${p.total} planes${p.acquisition.stack ? `, stack z_focus ${p.acquisition.stack.zFocusUm?.toFixed(2)} um (${p.acquisition.stack.qc})` : ''}`,
                ),
            }),
          );
          if (res.state === 'cancelled')
            throw ctx.signal.reason ?? new AppError('CANCELLED', 'Generation was cancelled');
          if (res.state === 'interrupted')
            throw new AppError('FAILED', 'Generation was interrupted; run it again with resume');
          return res;
        },
      );
      return { taskId: info.id };
    },
  };
}
