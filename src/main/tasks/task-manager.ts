/**
 * Long operations (acquisition, export, import, sweeps) run as tasks: progress with count and ETA, pause at safe
 * points, cancel through an AbortSignal, and a resource lock so two tasks never drive the same stage at once.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../shared/errors';
import type { TaskInfo } from '../../shared/schemas/task';
import type { EventBus } from '../events';
import { toErrorShape } from '../api/dispatch';

export type TaskResource = 'stage' | 'camera' | 'dataset' | 'cpu';

export interface TaskSpec {
  kind: string;
  title: string;
  total?: number;
  canPause?: boolean;
  /** Resources held for the whole task; a second task asking for one of them is refused. */
  uses?: TaskResource[];
}

export interface TaskContext {
  readonly signal: AbortSignal;
  /** Report progress; `done` and `total` in the task's own units (planes, images, files). */
  progress(done: number, total?: number, message?: string): void;
  /** A safe point: waits while paused, throws a CANCELLED AppError once cancelled. */
  checkpoint(): Promise<void>;
}

interface TaskRecord {
  info: TaskInfo;
  spec: TaskSpec;
  controller: AbortController;
  resumeWaiters: Array<() => void>;
  promise: Promise<TaskInfo>;
  pausedMs: number;
  pausedAt: number | null;
}

export class TaskManager {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly held = new Map<TaskResource, string>();

  constructor(private readonly bus: EventBus) {}

  start<T>(spec: TaskSpec, run: (ctx: TaskContext) => Promise<T>): TaskInfo {
    for (const resource of spec.uses ?? []) {
      const owner = this.held.get(resource);
      if (owner) {
        const other = this.tasks.get(owner)!.info;
        throw new AppError('CONFLICT', `Cannot start "${spec.title}": "${other.title}" is using the ${resource}`, {
          taskId: owner,
        });
      }
    }
    const id = randomUUID();
    const info: TaskInfo = {
      id,
      kind: spec.kind,
      title: spec.title,
      state: 'running',
      done: 0,
      total: spec.total ?? 0,
      etaS: null,
      message: '',
      startedAt: Date.now(),
      finishedAt: null,
      canPause: spec.canPause ?? false,
      error: null,
    };
    for (const resource of spec.uses ?? []) this.held.set(resource, id);
    const record: TaskRecord = {
      info,
      spec,
      controller: new AbortController(),
      resumeWaiters: [],
      promise: Promise.resolve(info),
      pausedMs: 0,
      pausedAt: null,
    };
    this.tasks.set(id, record);
    record.promise = this.run(record, run);
    this.publish(record);
    return { ...info };
  }

  /** The running task holding a resource (the STOP button cancels whoever drives the stage). */
  holderOf(resource: TaskResource): TaskInfo | null {
    const id = this.held.get(resource);
    return id ? { ...this.tasks.get(id)!.info } : null;
  }

  list(): TaskInfo[] {
    return [...this.tasks.values()].map((r) => ({ ...r.info }));
  }

  get(id: string): TaskInfo {
    return { ...this.record(id).info };
  }

  /** Resolves when the task has ended, whatever the outcome. */
  wait(id: string): Promise<TaskInfo> {
    return this.record(id).promise;
  }

  cancel(id: string): TaskInfo {
    const record = this.record(id);
    if (isActive(record.info)) {
      record.controller.abort(new AppError('CANCELLED', `${record.info.title} was cancelled`));
      this.wakeUp(record);
    }
    return { ...record.info };
  }

  pause(id: string): TaskInfo {
    const record = this.record(id);
    if (!record.info.canPause) throw new AppError('CONFLICT', `${record.info.title} cannot be paused`);
    if (record.info.state === 'running') {
      record.info.state = 'paused';
      record.pausedAt = Date.now();
      record.info.message = 'Paused';
      this.publish(record);
    }
    return { ...record.info };
  }

  resume(id: string): TaskInfo {
    const record = this.record(id);
    if (record.info.state === 'paused') {
      record.info.state = 'running';
      if (record.pausedAt !== null) record.pausedMs += Date.now() - record.pausedAt;
      record.pausedAt = null;
      record.info.message = 'Resumed';
      this.wakeUp(record);
      this.publish(record);
    }
    return { ...record.info };
  }

  /** Cancel everything still running and wait for it to end (app shutdown). */
  async shutdown(): Promise<void> {
    const active = [...this.tasks.values()].filter((r) => isActive(r.info));
    for (const r of active) this.cancel(r.info.id);
    await Promise.allSettled(active.map((r) => r.promise));
  }

  private async run<T>(record: TaskRecord, run: (ctx: TaskContext) => Promise<T>): Promise<TaskInfo> {
    const { info, controller } = record;
    const ctx: TaskContext = {
      signal: controller.signal,
      progress: (done, total, message) => {
        info.done = done;
        if (total !== undefined) info.total = total;
        if (message !== undefined) info.message = message;
        info.etaS = this.eta(record);
        this.publish(record);
      },
      checkpoint: async () => {
        while (info.state === 'paused' && !controller.signal.aborted) {
          await new Promise<void>((resolve) => record.resumeWaiters.push(resolve));
        }
        if (controller.signal.aborted) throw controller.signal.reason;
      },
    };
    // Let start() return before the work begins, so callers always see the task in 'running' first.
    await Promise.resolve();
    try {
      const result = await run(ctx);
      info.state = 'done';
      info.result = result;
      info.etaS = 0;
    } catch (err) {
      const shape = toErrorShape(info.kind, err);
      info.state = controller.signal.aborted || shape.code === 'CANCELLED' ? 'cancelled' : 'failed';
      info.error = { code: shape.code, message: shape.message };
      info.message = shape.message;
    } finally {
      info.finishedAt = Date.now();
      for (const resource of record.spec.uses ?? []) {
        if (this.held.get(resource) === info.id) this.held.delete(resource);
      }
      this.publish(record);
    }
    return { ...info };
  }

  private eta(record: TaskRecord): number | null {
    const { info } = record;
    if (info.done <= 0 || info.total <= 0) return null;
    const activeMs = Date.now() - info.startedAt - record.pausedMs;
    const rate = info.done / Math.max(activeMs, 1);
    return Math.max(0, (info.total - info.done) / rate / 1000);
  }

  private wakeUp(record: TaskRecord): void {
    const waiters = record.resumeWaiters.splice(0);
    for (const w of waiters) w();
  }

  private publish(record: TaskRecord): void {
    this.bus.emit('task.progress', { ...record.info });
  }

  private record(id: string): TaskRecord {
    const record = this.tasks.get(id);
    if (!record) throw new AppError('NOT_FOUND', `No task with id ${id}`);
    return record;
  }
}

function isActive(info: TaskInfo): boolean {
  return info.state === 'running' || info.state === 'paused';
}
