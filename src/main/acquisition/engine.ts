/**
 * Guided defocus-stack acquisition.
 *
 * For each lateral position: move XY, approach the first missing plane from below (z - overshoot, then up), and
 * step upward through the planes (backlash-free: every plane is reached by an upward move). Each captured plane is
 * stored (file + row + run cursor) before the next one is snapped; its encoding overlaps the next stage move.
 * After a stack: label it (focus curve fit + QC).
 *
 * Interruptions: a killed process, a power cut or a HardwareError 'disconnected' leave the run 'running' or
 * 'interrupted'; `acquire({ resumeRunId })` continues from what is stored (the plane in flight is the only loss;
 * UNIQUE(stack, plane) makes duplicates impossible). Commits use synchronous=FULL for the run's duration.
 */
import { HardwareError, type Camera, type Frame, type XYStage, type ZStage } from '../../hardware/types';
import {
  AcquisitionParamsSchema,
  type AcquisitionParams,
  type AcquisitionParamsInput,
  type AcquisitionProgress,
  type QcFlag,
  type QcVerdict,
  type RunState,
} from '../../shared/dataset';
import type { EncodeOptions } from '../dataset/codec';
import { withDurableCommits, type Dataset } from '../dataset/db';
import { DatasetError } from '../dataset/errors';
import type { FileOps } from '../dataset/imageStore';
import { labelStack } from '../dataset/labelling';
import { planeIndicesOf } from '../dataset/repo/images';
import { createRun, getRun, setRunState, type Run } from '../dataset/repo/runs';
import { requireSetup } from '../dataset/repo/setups';
import { getSlide } from '../dataset/repo/slides';
import { createStack, findRunStack, markStackComplete, requireStackRow } from '../dataset/repo/stacks';
import { AcquisitionControl, sleep } from './control';
import { planPlanes, planPositions, type PlannedPosition } from './plan';
import { StorePipeline } from './pipeline';

export interface AcquisitionDevices {
  camera: Camera;
  z: ZStage;
  xy?: XYStage;
}

export interface AcquireOptions {
  db: Dataset;
  devices: AcquisitionDevices;
  /** Parameters of a new run; or resumeRunId to continue one. */
  params?: AcquisitionParamsInput;
  resumeRunId?: number;
  onProgress?: (p: AcquisitionProgress) => void;
  signal?: AbortSignal;
  control?: AcquisitionControl;
  /** Called before the planes of a stack are captured (also when a resume continues a partial stack); may set up
   * the position (e.g. give the simulator this stack's rendering variant, or swap `devices`) and return its render
   * parameters, stored with the stack the first time. On a resume `renderParams` holds what was stored. */
  beforeStack?: (pos: PlannedPosition, stack: BeforeStackInfo) => Promise<Record<string, unknown> | void>;
  encode?: EncodeOptions;
  fileOps?: FileOps;
  /** Planes stored while the next ones are captured (default STORE_DEPTH = 2; 1 = the previous behaviour). */
  storeDepth?: number;
  /** Resume a run the operator cancelled too (the CLI's --resume after Ctrl-C). Default false. */
  reopenCancelled?: boolean;
}

export interface BeforeStackInfo {
  stackId: number;
  /** Some planes of this stack are already stored (a resumed run). */
  resumed: boolean;
  /** Render parameters stored with the stack by an earlier call, if any. */
  renderParams: Record<string, unknown> | null;
}

export interface AcquiredStack {
  id: number;
  positionIndex: number;
  zFocusUm: number | null;
  qc: QcVerdict;
  flags: QcFlag[];
}

export interface AcquireResult {
  runId: number;
  state: RunState;
  stacks: AcquiredStack[];
  planesStored: number;
  planesTotal: number;
  error?: string;
}

/** What the run row keeps: the parameters with the lateral positions resolved (resume never re-reads XY). */
interface StoredParams extends AcquisitionParams {
  resolvedPositions: PlannedPosition[];
}

const RESUMABLE: RunState[] = ['running', 'paused', 'interrupted', 'failed'];

function pidAlive(pid: number | null): boolean {
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Acquisition runs that can be resumed (their owner process is gone or they were stopped by a fault). */
export function findResumableRuns(ds: Dataset): Run[] {
  const rows = ds.db
    .prepare(`SELECT id FROM runs WHERE kind = 'acquisition' AND state IN ('running','paused','interrupted','failed')`)
    .all() as { id: number }[];
  return rows.map((r) => getRun(ds.db, r.id)!).filter((r) => !(r.state === 'running' && pidAlive(r.ownerPid)));
}

function parseParams(input: AcquisitionParamsInput): AcquisitionParams {
  const r = AcquisitionParamsSchema.safeParse(input);
  if (!r.success) {
    throw new DatasetError(
      'bad-input',
      `invalid acquisition parameters: ${r.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ')}`,
    );
  }
  return r.data;
}

async function startRun(opts: AcquireOptions): Promise<{ run: Run; params: StoredParams }> {
  const { db } = opts.db;
  if (opts.resumeRunId !== undefined) {
    const run = getRun(db, opts.resumeRunId);
    if (!run || run.kind !== 'acquisition')
      throw new DatasetError('bad-input', `no acquisition run ${opts.resumeRunId}`);
    if (!RESUMABLE.includes(run.state) && !(opts.reopenCancelled && run.state === 'cancelled')) {
      throw new DatasetError('bad-input', `run ${run.id} is ${run.state}; only interrupted or paused runs resume`);
    }
    if (run.state === 'running' && pidAlive(run.ownerPid)) {
      throw new DatasetError('conflict', `run ${run.id} is being acquired by process ${run.ownerPid}`);
    }
    setRunState(db, run.id, 'running', { ownerPid: process.pid });
    return { run: getRun(db, run.id)!, params: run.params as StoredParams };
  }
  if (!opts.params) throw new DatasetError('bad-input', 'acquire: give params (new run) or resumeRunId');
  const params = parseParams(opts.params);
  requireSetup(db, params.setupId);
  if (!getSlide(db, params.slideId)) throw new DatasetError('bad-input', `slide ${params.slideId} does not exist`);
  const planes = planPlanes(params);
  for (const z of [planes[0] - params.overshootUm, planes[planes.length - 1]]) {
    const lim = opts.devices.z.limits();
    if (z < lim.minUm || z > lim.maxUm) {
      throw new DatasetError(
        'bad-input',
        `the stack needs z from ${(planes[0] - params.overshootUm).toFixed(2)} to ${planes[planes.length - 1].toFixed(2)} um (overshoot included), outside the Z limits ${lim.minUm}..${lim.maxUm} um`,
      );
    }
  }
  const origin = opts.devices.xy ? await opts.devices.xy.position() : null;
  const resolvedPositions = planPositions(params, origin);
  const stored: StoredParams = { ...params, resolvedPositions };
  const run = createRun(db, {
    kind: 'acquisition',
    slideId: params.slideId,
    setupId: params.setupId,
    params: stored,
    planesTotal: planes.length * resolvedPositions.length,
    source: params.source,
  });
  return { run, params: stored };
}

class Progress {
  private t0 = Date.now();
  private capturedHere = 0;
  constructor(
    private readonly opts: AcquireOptions,
    readonly runId: number,
    readonly nPositions: number,
    readonly nPlanes: number,
    public done: number,
  ) {}
  get total() {
    return this.nPositions * this.nPlanes;
  }
  captured() {
    this.done++;
    this.capturedHere++;
  }
  emit(state: RunState, pos: number, plane: number, extra: Partial<AcquisitionProgress> = {}) {
    const elapsedS = (Date.now() - this.t0) / 1000;
    const rate = this.capturedHere > 0 ? elapsedS / this.capturedHere : null;
    this.opts.onProgress?.({
      runId: this.runId,
      state,
      positionIndex: pos,
      nPositions: this.nPositions,
      planeIndex: plane,
      nPlanes: this.nPlanes,
      done: this.done,
      total: this.total,
      elapsedS,
      etaS: rate === null ? null : rate * (this.total - this.done),
      zUm: null,
      sharpness: null,
      ...extra,
    });
  }
}

async function settle(opts: AcquireOptions, params: AcquisitionParams, stage: { settleMs(): number }) {
  await sleep(stage.settleMs() + params.settleMs, opts.signal);
}

/** Backlash-free approach: go below the target by the overshoot, then up to it. */
async function approachFromBelow(z: ZStage, target: number, overshoot: number): Promise<number> {
  if (overshoot > 0) await z.moveTo(target - overshoot);
  return z.moveTo(target);
}

function stackFor(opts: AcquireOptions, run: Run, params: StoredParams, pos: PlannedPosition): number {
  const existing = findRunStack(opts.db.db, run.id, pos.index);
  if (existing) return existing.id;
  return createStack(opts.db.db, {
    runId: run.id,
    slideId: params.slideId,
    setupId: params.setupId,
    positionIndex: pos.index,
    xUm: pos.xUm,
    yUm: pos.yUm,
    z0Um: params.z0Um,
    source: params.source,
  });
}

type StepOutcome = 'ok' | 'cancelled';

/** Planes stored while the next ones are captured (bench/store.ts: ~8 frames/s with 1, >= 10 with 2 on 2 cores). */
export const STORE_DEPTH = 2;

/** Runs the beforeStack hook and keeps the render parameters it returns (the first ones win on a resume). */
async function prepareStack(opts: AcquireOptions, pos: PlannedPosition, stackId: number, resumed: boolean) {
  if (!opts.beforeStack) return;
  const row = requireStackRow(opts.db.db, stackId);
  const stored = row.render_params ? (JSON.parse(row.render_params) as Record<string, unknown>) : null;
  const rp = await opts.beforeStack(pos, { stackId, resumed, renderParams: stored });
  if (rp && !stored) {
    opts.db.db.prepare('UPDATE stacks SET render_params = ? WHERE id = ?').run(JSON.stringify(rp), stackId);
  }
}

/** Acquires the missing planes of one stack. */
async function acquireStack(
  opts: AcquireOptions,
  run: Run,
  params: StoredParams,
  pos: PlannedPosition,
  planes: number[],
  progress: Progress,
): Promise<StepOutcome> {
  const { db } = opts.db;
  const stackId = stackFor(opts, run, params, pos);
  const have = planeIndicesOf(db, stackId);
  const missing = planes.map((_, i) => i).filter((i) => !have.has(i));
  if (missing.length > 0) {
    // The hook may swap the devices (the synthetic generator renders each stack with its own microscope variant),
    // so they are read after it.
    await prepareStack(opts, pos, stackId, have.size > 0);
    const { camera, z, xy } = opts.devices;
    if (xy && pos.xUm !== null && pos.yUm !== null) {
      await xy.moveTo({ xUm: pos.xUm, yUm: pos.yUm });
      await sleep(xy.settleMs(), opts.signal);
    }
    const pipe = new StorePipeline({
      ds: opts.db,
      runId: run.id,
      depth: opts.storeDepth ?? STORE_DEPTH,
      encode: opts.encode,
      fileOps: opts.fileOps,
      signal: opts.signal,
      doneBefore: () => progress.done,
      onCommitted: (p) => {
        progress.captured();
        progress.emit('running', pos.index, p.planeIndex, { zUm: p.zUm, sharpness: p.sharpness[params.metric] });
      },
    });
    let needApproach = true;
    try {
      for (const [k, i] of missing.entries()) {
        // A gap (plane already stored) or a pause means the stage may not be just below: approach again.
        const reached = needApproach
          ? await approachFromBelow(z, planes[i], params.overshootUm)
          : await z.moveTo(planes[i]);
        await settle(opts, params, z);
        if (opts.signal?.aborted) return 'cancelled';
        if (opts.control?.paused) {
          await pipe.drain();
          setRunState(db, run.id, 'paused', { ownerPid: process.pid });
          progress.emit('paused', pos.index, i);
          await opts.control.waitWhilePaused(opts.signal);
          if (opts.signal?.aborted) return 'cancelled';
          setRunState(db, run.id, 'running', { ownerPid: process.pid });
          await approachFromBelow(z, planes[i], params.overshootUm);
          await settle(opts, params, z);
        }
        await pipe.waitForSlot(); // at most `depth` planes being stored while this one is snapped
        if (opts.signal?.aborted) return 'cancelled';
        const frame: Frame = await camera.snap();
        const next =
          i + 1 < planes.length
            ? { positionIndex: pos.index, planeIndex: i + 1 }
            : { positionIndex: pos.index + 1, planeIndex: 0 };
        pipe.push({ stackId, planeIndex: i, zUm: reached, frame, meta: { plannedZUm: planes[i] }, next });
        needApproach = missing[k + 1] !== undefined && missing[k + 1] !== i + 1;
      }
      await pipe.drain();
    } finally {
      // On an error elsewhere (e.g. the stage disconnected) the planes being written still land, in order;
      // after a cancel they are discarded.
      await pipe.settle();
    }
    if (opts.signal?.aborted) return 'cancelled';
  }
  const row = requireStackRow(db, stackId);
  if (row.state !== 'complete' || row.focus_method === null) {
    const label = labelStack(db, stackId, { metric: params.metric, fit: params.fit });
    markStackComplete(db, stackId);
    progress.emit('running', pos.index, planes.length - 1, {
      stack: { id: stackId, zFocusUm: label.zFocusUm, qc: label.qc, flags: label.flags },
    });
  }
  return 'ok';
}

function summarise(ds: Dataset, runId: number): AcquiredStack[] {
  const rows = ds.db
    .prepare(
      'SELECT id, position_index, z_focus_um, qc_verdict, qc_flags FROM stacks WHERE run_id = ? ORDER BY position_index',
    )
    .all(runId) as {
    id: number;
    position_index: number;
    z_focus_um: number | null;
    qc_verdict: QcVerdict | null;
    qc_flags: string;
  }[];
  return rows
    .filter((r) => r.qc_verdict !== null)
    .map((r) => ({
      id: r.id,
      positionIndex: r.position_index,
      zFocusUm: r.z_focus_um,
      qc: r.qc_verdict!,
      flags: JSON.parse(r.qc_flags) as QcFlag[],
    }));
}

/** Runs (or resumes) an acquisition; resolves with the run's final state. Throws only for bad parameters. */
export async function acquire(opts: AcquireOptions): Promise<AcquireResult> {
  const { db } = opts.db;
  const { run, params } = await startRun(opts);
  const planes = planPlanes(params);
  const positions = params.resolvedPositions;
  const storedCount = () =>
    (
      db
        .prepare('SELECT COUNT(*) AS n FROM images i JOIN stacks s ON s.id = i.stack_id WHERE s.run_id = ?')
        .get(run.id) as { n: number }
    ).n;
  const progress = new Progress(opts, run.id, positions.length, planes.length, storedCount());
  const result = (state: RunState, error?: string): AcquireResult => ({
    runId: run.id,
    state,
    stacks: summarise(opts.db, run.id),
    planesStored: storedCount(),
    planesTotal: progress.total,
    ...(error ? { error } : {}),
  });

  return withDurableCommits(db, async () => {
    try {
      if (params.exposureMs !== undefined) await opts.devices.camera.setExposureMs(params.exposureMs);
      for (const pos of positions) {
        const outcome = await acquireStack(opts, run, params, pos, planes, progress);
        if (outcome === 'cancelled') {
          setRunState(db, run.id, 'cancelled');
          progress.emit('cancelled', pos.index, 0, { message: 'cancelled by the operator' });
          return result('cancelled');
        }
      }
      setRunState(db, run.id, 'completed');
      progress.emit('completed', positions.length - 1, planes.length - 1);
      return result('completed');
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      if (err instanceof HardwareError) {
        // Cable pulled, device gone, timeout: everything stored is kept; resume after reconnecting.
        setRunState(db, run.id, 'interrupted', { error: `${err.kind}: ${message}` });
        progress.emit('interrupted', 0, 0, {
          message: `interrupted (${err.kind}): ${message}; resume after fixing it`,
        });
        return result('interrupted', message);
      }
      if (db.open) setRunState(db, run.id, 'failed', { error: message });
      progress.emit('failed', 0, 0, { message });
      throw err;
    }
  });
}

export { AcquisitionControl };
