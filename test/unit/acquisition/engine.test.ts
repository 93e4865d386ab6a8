import { afterEach, describe, expect, it } from 'vitest';
import { acquire, AcquisitionControl, findResumableRuns } from '../../../src/main/acquisition/engine';
import { planPlanes, planPositions } from '../../../src/main/acquisition/plan';
import type { Dataset } from '../../../src/main/dataset/db';
import { DatasetError } from '../../../src/main/dataset/errors';
import { listStacks } from '../../../src/main/dataset/repo/stacks';
import type { AcquisitionProgress } from '../../../src/shared/dataset';
import { newDataset, seedSetupAndSlide } from '../../helpers/datasetFixtures';
import { fakeDevices } from '../../helpers/fakeMicroscope';

const open: Dataset[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
});

function setup(name: string) {
  const ds = newDataset(name);
  open.push(ds);
  return { ds, ...seedSetupAndSlide(ds) };
}

describe('plan', () => {
  it('gives 41 planes for the default -10..+10 um at 0.5 um, ascending and exact', () => {
    const z = planPlanes({ z0Um: 100, range: { fromUm: -10, toUm: 10, stepUm: 0.5 } });
    expect(z).toHaveLength(41);
    expect(z[0]).toBe(90);
    expect(z[40]).toBe(110);
    expect(z[21]).toBeCloseTo(100.5, 12);
  });

  it('lays a serpentine grid at 1 mm steps from the stage position', () => {
    const p = planPositions({ grid: { nx: 3, ny: 2, stepUm: 1000 } }, { xUm: 10, yUm: 20 });
    expect(p.map((q) => [q.xUm, q.yUm])).toEqual([
      [10, 20],
      [1010, 20],
      [2010, 20],
      [2010, 1020],
      [1010, 1020],
      [10, 1020],
    ]);
  });
});

describe('acquire', () => {
  it('acquires a grid backlash-free, labels every stack within 0.25 um of the truth, with progress and ETA', async () => {
    const { ds, setup: s, slide } = setup('acq');
    const dev = await fakeDevices({ zFocusUm: 50.3, tiltX: 0.0002, focusJitterUm: 0.3, seed: 11 }, { backlashUm: 1.5 });
    const events: AcquisitionProgress[] = [];
    const res = await acquire({
      db: ds,
      devices: dev,
      params: { slideId: slide.id, setupId: s.id, z0Um: 50, grid: { nx: 2, ny: 1, stepUm: 1000 }, source: 'sim' },
      onProgress: (e) => events.push(e),
    });
    expect(res.state).toBe('completed');
    expect(res.planesStored).toBe(82);
    expect(res.stacks).toHaveLength(2);
    for (const st of res.stacks) {
      const pos = dev.m.zFocusAt({ xUm: st.positionIndex * 1000, yUm: 0 });
      expect(st.qc).not.toBe('fail');
      expect(Math.abs(st.zFocusUm! - pos)).toBeLessThan(0.25);
    }
    // Every plane was reached by an upward move, so backlash never shifted a plane.
    const planeMoves = dev.z.moves.filter((m) => Math.abs(((m.to - 40) / 0.5) % 1) < 1e-9 && m.to >= 40 && m.to <= 60);
    expect(planeMoves.length).toBeGreaterThanOrEqual(82);
    for (const m of planeMoves) expect(m.reached).toBe(m.to);
    const captured = events.filter((e) => e.state === 'running' && e.zUm !== null);
    expect(captured).toHaveLength(82);
    expect(captured[captured.length - 1].done).toBe(82);
    expect(captured[5].etaS).toBeGreaterThan(0);
    expect(events.filter((e) => e.stack)).toHaveLength(2);
    expect(events[events.length - 1].state).toBe('completed');
    // Labels: d = z - z_focus on every image.
    const rows = ds.db
      .prepare('SELECT i.z_um, i.defocus_um, s.z_focus_um FROM images i JOIN stacks s ON s.id = i.stack_id')
      .all() as { z_um: number; defocus_um: number; z_focus_um: number }[];
    for (const r of rows) expect(r.defocus_um).toBeCloseTo(r.z_um - r.z_focus_um, 9);
  });

  it('a stack approached from above would be off by the backlash (the fake stage really has backlash)', async () => {
    const dev = await fakeDevices({}, { backlashUm: 1.5 });
    await dev.z.moveTo(10);
    await dev.z.moveTo(0);
    expect(dev.m.z).toBe(1.5);
  });

  it('pauses, resumes and cancels', async () => {
    const { ds, setup: s, slide } = setup('pause');
    const dev = await fakeDevices({ seed: 2 });
    const control = new AcquisitionControl();
    const ac = new AbortController();
    const states: string[] = [];
    let captured = 0;
    const run = acquire({
      db: ds,
      devices: dev,
      control,
      signal: ac.signal,
      params: { slideId: slide.id, setupId: s.id, z0Um: 0, range: { fromUm: -3, toUm: 3, stepUm: 0.5 } },
      onProgress: (e) => {
        states.push(e.state);
        if (e.state === 'running' && e.zUm !== null && ++captured === 4) control.pause();
        if (e.state === 'paused') setTimeout(() => control.resume(), 30);
        if (captured === 9 && e.state === 'running') ac.abort();
      },
    });
    const res = await run;
    expect(states).toContain('paused');
    expect(res.state).toBe('cancelled');
    expect(res.planesStored).toBe(9);
    expect((ds.db.prepare('SELECT state FROM runs').get() as { state: string }).state).toBe('cancelled');
  });

  it('a pulled cable interrupts the run; resuming completes it with no duplicate and no gap', async () => {
    const { ds, setup: s, slide } = setup('disconnect');
    const dev = await fakeDevices({ seed: 4 });
    dev.z.faults.disconnectAfterMoves = 9;
    const params = { slideId: slide.id, setupId: s.id, z0Um: 0, range: { fromUm: -3, toUm: 3, stepUm: 0.5 } };
    const first = await acquire({ db: ds, devices: dev, params });
    expect(first.state).toBe('interrupted');
    expect(first.error).toMatch(/cable pulled/);
    const stored = first.planesStored;
    expect(stored).toBeGreaterThan(3);
    expect(stored).toBeLessThan(13);
    expect(findResumableRuns(ds).map((r) => r.id)).toEqual([first.runId]);
    await dev.z.connect();
    const second = await acquire({ db: ds, devices: dev, resumeRunId: first.runId });
    expect(second.state).toBe('completed');
    expect(second.planesStored).toBe(13);
    const planes = ds.db.prepare('SELECT plane_index FROM images ORDER BY plane_index').all() as {
      plane_index: number;
    }[];
    expect(planes.map((p) => p.plane_index)).toEqual([...Array(13).keys()]);
    expect(listStacks(ds.db)[0].qcVerdict).not.toBeNull();
    expect(findResumableRuns(ds)).toEqual([]);
  });

  it('rejects parameters outside the stage limits with a clear message and creates no run', async () => {
    const { ds, setup: s, slide } = setup('limits');
    const dev = await fakeDevices();
    await expect(
      acquire({ db: ds, devices: dev, params: { slideId: slide.id, setupId: s.id, z0Um: 495 } }),
    ).rejects.toThrow(/outside the Z limits/);
    await expect(
      acquire({ db: ds, devices: dev, params: { slideId: slide.id, setupId: 'nope', z0Um: 0 } }),
    ).rejects.toBeInstanceOf(DatasetError);
    expect((ds.db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n).toBe(0);
  });
});
