/**
 * The calibration wizard end to end on the virtual microscope, through the real dispatcher and task manager: each
 * step runs as a task with progress, measures what the simulator was configured with (backlash, settle time, the
 * Z direction of its optics), can be cancelled, and its values can be saved into the profile.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CalibrationResult, CalibrationRunInput } from '../../../src/shared/procedures/calibration';
import type { TaskInfo } from '../../../src/shared/schemas/task';
import { apiError, FAST_SIM, startBackend, type TestBackend } from './services';

let backend: TestBackend | null = null;
afterEach(async () => {
  await backend?.close();
  backend = null;
});

async function run(b: TestBackend, input: CalibrationRunInput): Promise<{ task: TaskInfo; progress: TaskInfo[] }> {
  const { taskId } = await b.api.invoke('calibration.run', input);
  const task = await b.services.tasks.wait(taskId);
  const progress = b.events
    .filter((e) => e.event === 'task.progress' && (e.data as TaskInfo).id === taskId)
    .map((e) => e.data as TaskInfo);
  return { task, progress };
}

async function result<S extends CalibrationResult['step']>(
  b: TestBackend,
  input: CalibrationRunInput & { step: S },
): Promise<Extract<CalibrationResult, { step: S }>> {
  const { task, progress } = await run(b, input);
  expect(task.error, task.error?.message).toBeNull();
  expect(task.state).toBe('done');
  // Progress went from 0 to 100 % without going back.
  const done = progress.map((p) => p.done);
  expect(done.at(-1)).toBe(100);
  expect(done.every((d, i) => i === 0 || d >= done[i - 1])).toBe(true);
  return task.result as Extract<CalibrationResult, { step: S }>;
}

describe('calibration on the virtual microscope (40x)', () => {
  it('measures the configured backlash, reports the right Z direction and the depth of field, and saves into a copy', async () => {
    backend = await startBackend({
      sim: { ...FAST_SIM, setup: '40x', zBacklashUm: 2, roi: { width: 256, height: 256 } },
    });
    const b = backend;

    const backlash = await result(b, { step: 'backlash', rangeUm: 6, stepUm: 0.5 });
    console.log(`backlash: configured 2 um, measured ${backlash.backlashUm.toFixed(3)} um`);
    expect(backlash.backlashUm).toBeGreaterThan(1.75);
    expect(backlash.backlashUm).toBeLessThan(2.25);
    expect(backlash.suggested.backlashUm).toBeCloseTo(backlash.backlashUm, 2);
    expect(backlash.upCurve.length).toBe(25);
    expect(backlash.explanation).toMatch(/um of backlash/);
    expect(backlash.profileId).toBe('virtual-microscope-40x');

    const direction = await result(b, { step: 'direction' });
    expect(direction.readbackOk).toBe(true);
    expect(direction.opticalVerdict).toBe('consistent');
    expect(direction.method).toBe('even-odd-correlation');
    expect(direction.evenOddCorrelation).toBeGreaterThan(0.2);
    expect(direction.suggested).toEqual({});
    expect(direction.instructions).toMatch(/AWAY from the sample/);

    const dof = await result(b, { step: 'depth-of-field', rangeUm: 8, stepUm: 0.5 });
    // The sharpness curve of this setup is a few um wide, wider than the classical formula (1.36 um at 40x/0.65).
    expect(dof.predictedDofUm).toBeCloseTo(1.3627, 3);
    expect(dof.dofUm).toBeGreaterThan(dof.predictedDofUm!);
    expect(dof.dofUm).toBeLessThan(4 * dof.predictedDofUm!);
    expect(dof.curve.length).toBe(33);

    const umPerStep = await result(b, { step: 'um-per-step' });
    expect(umPerStep.verdict).toBe('ok');
    expect(umPerStep.ratio).toBeGreaterThan(0.85);
    expect(umPerStep.ratio).toBeLessThan(1.15);
    expect(umPerStep.expectedFrom).toMatch(/virtual microscope optics/);

    const latest = await b.api.invoke('calibration.results');
    expect(latest.results.map((r) => r.step).sort()).toEqual([
      'backlash',
      'depth-of-field',
      'direction',
      'um-per-step',
    ]);

    // Saving into a built-in profile makes a calibrated copy and reconnects to it.
    const applied = await b.api.invoke('calibration.apply', { backlashUm: backlash.suggested.backlashUm });
    expect(applied.copiedFrom).toBe('virtual-microscope-40x');
    expect(applied.profile).toMatchObject({ id: 'virtual-microscope-40x-calibrated', builtin: false });
    expect(applied.profile.profile.stage.backlashUm).toBeCloseTo(backlash.backlashUm, 2);
    expect(applied.connection).toMatchObject({ state: 'connected', profileId: 'virtual-microscope-40x-calibrated' });
    // A second value lands in the same copy; the results stay with it.
    const again = await b.api.invoke('calibration.apply', { settleMs: 40, reconnect: false });
    expect(again.copiedFrom).toBeNull();
    expect(again.profile.profile.stage).toMatchObject({ settleMs: 40 });
    expect(again.profile.profile.stage.backlashUm).toBeCloseTo(backlash.backlashUm, 2);
    expect((await b.api.invoke('calibration.results')).results).toHaveLength(4);
    expect((await b.api.invoke('profiles.list')).profiles.filter((p) => !p.builtin).map((p) => p.id)).toEqual([
      'virtual-microscope-40x-calibrated',
    ]);
  });

  it('a step holds the stage and camera, and can be cancelled', async () => {
    backend = await startBackend({ sim: { ...FAST_SIM, setup: '40x' } });
    const b = backend;
    const { taskId } = await b.api.invoke('calibration.run', { step: 'depth-of-field', rangeUm: 40, stepUm: 0.25 });
    // A second step (or a connect) is refused while this one drives the stage.
    expect((await apiError(b.api.invoke('calibration.run', { step: 'backlash' }))).code).toBe('CONFLICT');
    expect((await apiError(b.api.invoke('hardware.connect', { id: 'virtual-microscope-20x' }))).code).toBe('CONFLICT');
    await expect.poll(() => b.services.tasks.get(taskId).done, { timeout: 20_000 }).toBeGreaterThan(5);
    await b.api.invoke('tasks.cancel', { taskId });
    const end = await b.services.tasks.wait(taskId);
    expect(end.state).toBe('cancelled');
    expect(end.done).toBeLessThan(100);
    // The stage is free again (a cancelled sweep leaves the stage where it was: back to focus first).
    await b.api.invoke('stage.moveTo', { axis: 'z', targetUm: 0 });
    expect((await run(b, { step: 'backlash', rangeUm: 4, stepUm: 1 })).task.state).toBe('done');
    // STOP cancels a step that drives the stage.
    const stopped = await b.api.invoke('calibration.run', { step: 'depth-of-field', rangeUm: 40, stepUm: 0.25 });
    await expect.poll(() => b.services.tasks.get(stopped.taskId).done, { timeout: 20_000 }).toBeGreaterThan(2);
    await b.api.invoke('stage.stop');
    expect((await b.services.tasks.wait(stopped.taskId)).state).toBe('cancelled');
  });
});

describe('settle time on the virtual microscope (real time)', () => {
  it('grows with the configured settle time and stays within it', async () => {
    const measured: number[] = [];
    for (const zSettleMs of [300, 900]) {
      backend = await startBackend({
        sim: {
          setup: '40x',
          roi: { width: 128, height: 128 },
          renderThreads: 0,
          timeScale: 1,
          zSettleMs,
          zSettleAmplitudeUm: 1.5,
          zSpeedUmPerS: 5000,
          zStart: 2,
          camera: { exposureMs: 5 },
        },
      });
      const r = await result(backend, { step: 'settle', stepUm: 2, repeats: 3 });
      console.log(
        `settle: configured ${zSettleMs} ms, measured ${r.settleMs} ms (frame interval ${r.frameIntervalMs.toFixed(0)} ms)`,
      );
      // The image stops changing (beyond its noise) before the ringing has died to 1 % of its amplitude, the
      // simulator's definition of its settle time: with 1.5 um of ringing and this camera's noise, at about 0.35-0.5
      // of it (the ringing is then ~0.2 um, well inside the 1.4 um depth of field). A frame is the resolution, and a
      // busy machine (slow, irregular frames) stretches short settle times most.
      expect(r.settleMs).toBeLessThanOrEqual(zSettleMs + 2 * r.frameIntervalMs);
      expect(r.settleMs).toBeGreaterThan(0.25 * zSettleMs);
      expect(r.suggested.settleMs).toBe(Math.round(r.settleMs));
      measured.push(r.settleMs);
      await backend.close();
      backend = null;
    }
    expect(measured[1]).toBeGreaterThan(measured[0]);
  });
});
