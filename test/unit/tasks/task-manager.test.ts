import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/main/events';
import { TaskManager } from '../../../src/main/tasks/task-manager';
import type { TaskInfo } from '../../../src/shared/schemas/task';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('TaskManager', () => {
  it('reports progress with an ETA and ends done with its result', async () => {
    const bus = new EventBus();
    const seen: TaskInfo[] = [];
    bus.subscribe((e) => e.event === 'task.progress' && seen.push(e.data as TaskInfo));
    const tm = new TaskManager(bus);
    const t = tm.start({ kind: 'test', title: 'Count', total: 4 }, async (ctx) => {
      for (let i = 1; i <= 4; i++) {
        await tick(10);
        ctx.progress(i, 4, `plane ${i}`);
      }
      return 42;
    });
    const end = await tm.wait(t.id);
    expect(end.state).toBe('done');
    expect(end.result).toBe(42);
    const mid = seen.find((s) => s.done === 2)!;
    expect(mid.etaS).not.toBeNull();
    expect(mid.etaS!).toBeGreaterThan(0);
    expect(mid.message).toBe('plane 2');
  });

  it('pauses at a checkpoint, resumes, and cancels through the signal', async () => {
    const tm = new TaskManager(new EventBus());
    let steps = 0;
    const t = tm.start({ kind: 'test', title: 'Loop', canPause: true }, async (ctx) => {
      for (;;) {
        await ctx.checkpoint();
        steps++;
        await tick(2);
      }
    });
    await tick(20);
    tm.pause(t.id);
    await tick(10);
    const frozen = steps;
    await tick(30);
    expect(steps).toBeLessThanOrEqual(frozen + 1);
    tm.resume(t.id);
    await tick(20);
    expect(steps).toBeGreaterThan(frozen + 1);
    tm.cancel(t.id);
    const end = await tm.wait(t.id);
    expect(end.state).toBe('cancelled');
    expect(end.error?.code).toBe('CANCELLED');
  });

  it('refuses a second task on the same resource, and frees it when the first ends', async () => {
    const tm = new TaskManager(new EventBus());
    let release!: () => void;
    const first = tm.start(
      { kind: 'a', title: 'Stack', uses: ['stage'] },
      () => new Promise<void>((r) => (release = r)),
    );
    expect(() => tm.start({ kind: 'b', title: 'Autofocus', uses: ['stage'] }, async () => {})).toThrow(/Stack.*stage/);
    await tick();
    release();
    await tm.wait(first.id);
    const second = tm.start({ kind: 'b', title: 'Autofocus', uses: ['stage'] }, async () => 'ok');
    expect((await tm.wait(second.id)).state).toBe('done');
  });

  it('records a failure with its message', async () => {
    const tm = new TaskManager(new EventBus());
    const t = tm.start({ kind: 'x', title: 'Broken' }, async () => {
      throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    });
    const end = await tm.wait(t.id);
    expect(end.state).toBe('failed');
    expect(end.error).toEqual({ code: 'FAILED', message: 'disk full' });
  });
});
