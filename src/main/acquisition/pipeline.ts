/**
 * The acquisition's store pipeline: up to `depth` captured planes are encoded and written at the same time while
 * the stage moves on and the camera snaps the next plane; their rows commit strictly in capture order.
 *
 * Why commits are ordered: the run's resume cursor and planes_done advance with each commit, and "a plane is
 * stored only once its row is committed". If a plane fails to store, the planes after it are not committed either
 * (their files are removed), so a failure never leaves a later plane stored past a missing one.
 * A cancel skips the commits still pending: what the operator sees as stored when they press Cancel is what stays.
 */
import type { Frame } from '../../hardware/types';
import type { Sharpness } from '../../shared/dataset';
import type { EncodeOptions } from '../dataset/codec';
import type { Dataset } from '../dataset/db';
import { DatasetError, sqliteError } from '../dataset/errors';
import type { FileOps } from '../dataset/imageStore';
import type { RunCursor } from '../dataset/repo/runs';
import { planeSharpness } from './sharpness-pool';
import { commitPlane, preparePlane } from './storePlane';

export interface CapturedPlane {
  stackId: number;
  planeIndex: number;
  zUm: number;
  frame: Frame;
  meta?: Record<string, unknown>;
  next: RunCursor;
}

export interface CommittedPlane extends CapturedPlane {
  sharpness: Sharpness;
}

export interface PipelineOptions {
  ds: Dataset;
  runId: number;
  depth: number;
  encode?: EncodeOptions;
  fileOps?: FileOps;
  signal?: AbortSignal;
  /** planes_done before this commit (the run's count of stored planes). */
  doneBefore(): number;
  /** Called right after a plane's row is committed, in plane order. */
  onCommitted(p: CommittedPlane): void;
}

export class StorePipeline {
  private inFlight: Promise<void>[] = [];
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  constructor(private readonly o: PipelineOptions) {}

  get pending(): number {
    return this.inFlight.length;
  }

  /** Waits until another plane may be captured (fewer than `depth` in flight); rethrows a store failure. */
  async waitForSlot(): Promise<void> {
    while (this.inFlight.length >= this.o.depth) await this.inFlight.shift();
    if (this.failure) throw this.failure;
  }

  /** Starts storing a captured plane; returns at once. */
  push(p: CapturedPlane): void {
    const prepared = preparePlane(this.o.ds, p.frame, this.o.encode, this.o.fileOps);
    prepared.catch(() => undefined); // observed below; avoids an unhandled rejection while the previous commit waits
    // The sharpness metrics (tens of ms on a 5 MP frame) run on a worker thread for big frames, and start as a later
    // macrotask, so the engine has already sent the next stage move: they overlap the move instead of delaying it.
    const sharpness = new Promise<Sharpness>((resolve, reject) =>
      setImmediate(() => planeSharpness(p.frame).then(resolve, reject)),
    );
    sharpness.catch(() => undefined);
    const done = this.tail.then(async () => {
      let plane;
      try {
        plane = await prepared;
      } catch (err) {
        this.fail(err, p);
        return;
      }
      let sharp: Sharpness;
      try {
        sharp = await sharpness;
      } catch (err) {
        await plane.discard();
        this.fail(err, p);
        return;
      }
      if (this.failure || this.o.signal?.aborted) {
        await plane.discard();
        return;
      }
      try {
        commitPlane(this.o.ds, plane, {
          ...p,
          sharpness: sharp,
          run: { id: this.o.runId, next: p.next, planesDone: this.o.doneBefore() + 1 },
        });
      } catch (err) {
        await plane.discard();
        this.fail(err, p);
        return;
      }
      this.o.onCommitted({ ...p, sharpness: sharp });
    });
    this.tail = done;
    this.inFlight.push(done);
  }

  /** Waits for every plane in flight to be committed (or discarded); rethrows a store failure. */
  async drain(): Promise<void> {
    await this.settle();
    if (this.failure) throw this.failure;
  }

  /** Waits for every plane in flight, whatever happens to them (used on the way out of an error). */
  async settle(): Promise<void> {
    const all = this.inFlight.splice(0);
    await Promise.all(all);
  }

  private fail(err: unknown, p: CapturedPlane): void {
    if (this.failure) return;
    this.failure =
      err instanceof DatasetError ? err : sqliteError(err, `storing plane ${p.planeIndex} of stack ${p.stackId}`);
  }
}
