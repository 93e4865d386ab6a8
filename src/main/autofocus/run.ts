/**
 * The bookkeeping of an autofocus run (loop.ts): what it was given, the frames it read and the moves it made, and
 * how it ends (a trace for the operator and the dataset; hardware failures and cancellation become outcomes).
 */
import { HardwareError, type Camera, type Frame, type ZStage } from '../../hardware/types';
import type {
  AutofocusMethod,
  AutofocusMove,
  AutofocusOutcome,
  AutofocusSettings,
  DecidedBy,
  Estimate,
  RegionMap,
} from '../../shared/autofocus';
import type { FocusCurvePoint } from '../../shared/dataset';
import {
  classicAutofocus,
  ClassicCancelled,
  CLASSIC_METRIC,
  sharpnessOfFrame,
  type ClassicPass,
  type ClassicResult,
} from './classic';
import { moveBacklashAware, sleep } from './move';

export interface AutofocusDevices {
  camera: Camera;
  zStage: ZStage;
}

export type FrameEstimator = (frame: Frame) => Promise<Estimate>;

export interface RunProgress {
  images: number;
  moves: number;
  message: string;
}

export interface RunOptions {
  devices: AutofocusDevices;
  settings: AutofocusSettings;
  method: AutofocusMethod;
  /** Required for the network method. */
  estimate?: FrameEstimator;
  /** The estimator reads |d| only (a magnitude model): the loop finds the side of focus by moving (side.ts). */
  magnitudeOnly?: boolean;
  /** The estimator's sign is a guess (a signed model with sign errors): the loop checks it by moving (side.ts). */
  sideFromModel?: boolean;
  /**
   * The model is coarser than the tolerance near focus (its card reports a test error above it): once it reads less
   * than LOCAL_REFINE_MAX_UM, sharpness finishes the run (refineLocally, refine.ts).
   */
  refineNearFocus?: boolean;
  /** Depth of field of the optics (um): lets two planes settle the focus in that refinement (pair.ts). */
  depthOfFieldUm?: number;
  signal?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
  /** Passes of the fallback search (default coarse-to-fine around the start). */
  fallbackPasses?: ClassicPass[];
}

/** One estimate of the run, with the z it was taken at (for the dataset). */
export interface EstimateRecord {
  zUm: number;
  estimate: Estimate;
}

/** Everything a run did: the result the operator sees, and what the dataset stores. */
export interface RunTrace {
  outcome: AutofocusOutcome;
  message: string;
  method: AutofocusMethod;
  decidedBy: DecidedBy;
  fallbackReason: string | null;
  startZUm: number;
  finalZUm: number;
  moves: AutofocusMove[];
  images: number;
  estimates: EstimateRecord[];
  /** The classic search's curve (classic runs and fallbacks). */
  curve: FocusCurvePoint[] | null;
  classic: Pick<ClassicResult, 'zFocusUm' | 'zBestUm' | 'peakFound' | 'timedOut' | 'label'> | null;
  residualUm: number | null;
  regions: RegionMap | null;
  elapsedMs: number;
  firstFrame: Frame | null;
}

export class RunState {
  readonly t0 = performance.now();
  images = 0;
  moves: AutofocusMove[] = [];
  estimates: EstimateRecord[] = [];
  /** Sharpness of every frame the network loop estimated: where the fallback starts when they bracket the focus. */
  visited: FocusCurvePoint[] = [];
  /** Planes probed after a blank first frame (probe.ts). */
  probes = 0;
  firstFrame: Frame | null = null;
  constructor(
    readonly o: RunOptions,
    readonly startZUm: number,
  ) {}

  progress(message: string): void {
    this.o.onProgress?.({ images: this.images, moves: this.moves.length, message });
  }
}

export function netMoveCount(s: RunState): number {
  return s.moves.filter((m) => m.by === 'net').length;
}

/** How a run that began on a blank frame found the tissue, to open its message; empty otherwise. */
export function probedFirst(s: RunState): string {
  if (!s.probes) return '';
  return `The first frame looked blank; ${plural(s.probes, 'plane')} further out found the tissue. `;
}

/** A frame the network estimated, and where. */
export interface Reading {
  frame: Frame;
  zUm: number;
  estimate: Estimate;
}

/** Snap and estimate where the stage is. */
export async function readHere(s: RunState): Promise<Reading> {
  const { camera, zStage } = s.o.devices;
  const frame = await camera.snap();
  const zUm = await zStage.position();
  const estimate = await s.o.estimate!(frame);
  recordReading(s, frame, zUm, estimate);
  return { frame, zUm, estimate };
}

/** One frame the network estimated: counted, kept for the dataset, and its sharpness kept for a fallback. */
function recordReading(s: RunState, frame: Frame, zUm: number, est: Estimate): void {
  s.images++;
  s.firstFrame ??= frame;
  s.estimates.push({ zUm, estimate: est });
  s.visited.push({ z: zUm, sharpness: sharpnessOfFrame(frame, CLASSIC_METRIC) });
}

/** Move to a plane a fallback chose (backlash-aware, stored as a fallback move), let it settle, snap and estimate. */
export async function readAt(s: RunState, zUm: number): Promise<Reading> {
  const { zStage } = s.o.devices;
  checkCancelled(s.o.signal);
  const before = await zStage.position();
  const reached = await moveBacklashAware(zStage, zUm);
  s.moves.push({ fromUm: before, toUm: reached, requestedUm: zUm - before, clamped: false, by: 'fallback' });
  await sleep(zStage.settleMs(), s.o.signal);
  const reading = await readHere(s);
  s.progress(`Plane ${s.images}: z ${reading.zUm.toFixed(2)} um`);
  return reading;
}

/** The network's reading of the frame it estimated at z (null when none, or it could not read that frame). */
export function readingAt(s: RunState, zUm: number): number | null {
  const record = s.estimates.find((e) => e.zUm === zUm);
  return record?.estimate.status === 'ok' ? record.estimate.defocusUm : null;
}

/** Sharpness of the frame just read over an earlier one's; undefined when either is not a positive number. */
export function sharpnessRatio(now: FocusCurvePoint | undefined, before: number): number | undefined {
  const ratio = (now?.sharpness ?? NaN) / before;
  return before > 0 && Number.isFinite(ratio) ? ratio : undefined;
}

/** Counts a search's plane in the run and reports it. */
export function planeCounter(s: RunState) {
  return (frame: Frame, p: FocusCurvePoint) => {
    s.images++;
    s.firstFrame ??= frame;
    s.progress(`Plane ${s.images}: z ${p.z.toFixed(2)} um`);
  };
}

export async function runClassic(
  s: RunState,
  passes: ClassicPass[],
  centerUm: number,
  timeLimitMs: number | undefined,
): Promise<ClassicResult & { curve: FocusCurvePoint[] }> {
  const { o } = s;
  const by = o.method === 'net' ? 'fallback' : o.method;
  const before = await o.devices.zStage.position();
  const result = await classicAutofocus({
    camera: o.devices.camera,
    zStage: o.devices.zStage,
    centerUm,
    passes,
    timeLimitMs: timeLimitMs ?? (o.method === 'net' ? undefined : o.settings.fallbackTimeLimitMs * 4),
    signal: o.signal,
    onFrame: planeCounter(s),
  });
  const after = await o.devices.zStage.position();
  s.moves.push({ fromUm: before, toUm: after, requestedUm: after - before, clamped: false, by });
  return { ...result, curve: result.points };
}

export interface Ending {
  outcome: AutofocusOutcome;
  message: string;
  decidedBy: DecidedBy;
  fallbackReason: string | null;
  classic: (ClassicResult & { curve?: FocusCurvePoint[] }) | null;
  residualUm: number | null;
  regions: RegionMap | null;
}

export async function finish(s: RunState, e: Ending): Promise<RunTrace> {
  const finalZUm = await safePosition(s.o.devices.zStage, s.moves.at(-1)?.toUm ?? s.startZUm);
  return {
    outcome: e.outcome,
    message: e.message,
    method: s.o.method,
    decidedBy: e.decidedBy,
    fallbackReason: e.fallbackReason,
    startZUm: s.startZUm,
    finalZUm,
    moves: s.moves,
    images: s.images,
    estimates: s.estimates,
    curve: e.classic?.points ?? null,
    classic: e.classic
      ? {
          zFocusUm: e.classic.zFocusUm,
          zBestUm: e.classic.zBestUm,
          peakFound: e.classic.peakFound,
          timedOut: e.classic.timedOut,
          label: e.classic.label,
        }
      : null,
    residualUm: e.residualUm,
    regions: e.regions,
    elapsedMs: performance.now() - s.t0,
    firstFrame: s.firstFrame,
  };
}

export async function endedByError(s: RunState, err: unknown): Promise<RunTrace> {
  const cancelled = err instanceof ClassicCancelled || s.o.signal?.aborted === true || isCancel(err);
  if (cancelled) {
    return finish(s, {
      outcome: 'cancelled',
      message: 'Autofocus was cancelled',
      decidedBy: 'none',
      fallbackReason: null,
      classic: null,
      residualUm: null,
      regions: null,
    });
  }
  if (err instanceof HardwareError) {
    const camera = err.kind === 'capture' || /camera/i.test(err.message);
    if (!camera) await s.o.devices.zStage.stop().catch(() => undefined);
    return finish(s, {
      outcome: camera ? 'camera-error' : 'stage-error',
      message: `${camera ? 'Camera error' : 'Stage error'}: ${err.message}`,
      decidedBy: 'none',
      fallbackReason: null,
      classic: null,
      residualUm: null,
      regions: null,
    });
  }
  throw err;
}

export function failedBeforeStart(o: RunOptions, err: unknown): RunTrace {
  if (!(err instanceof HardwareError)) throw err;
  return {
    outcome: 'stage-error',
    message: `Stage error: ${err.message}`,
    method: o.method,
    decidedBy: 'none',
    fallbackReason: null,
    startZUm: NaN,
    finalZUm: NaN,
    moves: [],
    images: 0,
    estimates: [],
    curve: null,
    classic: null,
    residualUm: null,
    regions: null,
    elapsedMs: 0,
    firstFrame: null,
  };
}

class Cancelled extends Error {
  readonly code = 'CANCELLED';
}

export function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Cancelled('cancelled');
}

function isCancel(err: unknown): boolean {
  return err instanceof Cancelled || (err as { code?: unknown })?.code === 'CANCELLED';
}

/** The stage's position, or `fallback` when the stage cannot say (it failed). */
export async function safePosition(stage: ZStage, fallback: number): Promise<number> {
  try {
    return await stage.position();
  } catch {
    return fallback;
  }
}

export function classicMessage(c: ClassicResult, method: AutofocusMethod | 'local'): string {
  const what = method === 'sweep' ? 'sweep' : method === 'local' ? 'local search' : 'coarse-to-fine search';
  if (!c.peakFound) {
    return `${what} over ${plural(c.images, 'plane')} found no clear sharpness peak; moved to the sharpest plane (${c.zBestUm.toFixed(2)} um)`;
  }
  return `${what} over ${plural(c.images, 'plane')}${c.timedOut ? ' (time limit reached)' : ''}: focus at ${c.zBestUm.toFixed(2)} um`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function capitalise(s: string | null): string {
  if (!s) return '';
  return s[0].toUpperCase() + s.slice(1);
}
