/**
 * The contract end to end in process: autofocus.* through the dispatcher of the real service container (virtual
 * microscope, mean-net fixture as the setup's model, a temp dataset and data folder).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../../src/main/services/container';
import { AutofocusHistoryRow, AutofocusResult, Estimate } from '../../../src/shared/autofocus';
import { tempDir } from '../../helpers/datasetFixtures';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'models');
let s: Services;
const savedDataDir = process.env.FOCUS_STATION_DATA_DIR;

beforeAll(async () => {
  const root = tempDir('autofocus-api');
  const models = path.join(root, 'models');
  fs.mkdirSync(models);
  for (const f of ['mean-net.json', 'mean-net.onnx']) fs.copyFileSync(path.join(FIXTURES, f), path.join(models, f));
  process.env.FOCUS_STATION_DATA_DIR = path.join(root, 'data');
  s = await createServices({
    frontDoor: 'cli',
    sim: { setup: '20x', roi: { width: 448, height: 448 }, timeScale: 0, zFocusUm: 0, zStart: 3, renderThreads: 0 },
    modelDirs: [models],
    databasePath: path.join(root, 'ds.sqlite'),
    inferenceThreads: 1,
  });
});

afterAll(async () => {
  await s?.close();
  if (savedDataDir === undefined) delete process.env.FOCUS_STATION_DATA_DIR;
  else process.env.FOCUS_STATION_DATA_DIR = savedDataDir;
});

async function call(method: string, payload: unknown) {
  const r = await s.dispatch(method, payload);
  if (!r.ok) throw Object.assign(new Error(r.error.message), r.error);
  return r.result;
}

describe('autofocus over the contract', () => {
  it('autofocus.estimate: one snap, no move, a valid Estimate from the setup model', async () => {
    const z0 = (await s.hardware.position()).zUm;
    const e = Estimate.parse(await call('autofocus.estimate', {}));
    expect(e.modelId).toBe('mean-net');
    expect(e.patchesTotal).toBe(4);
    expect((await s.hardware.position()).zUm).toBe(z0);
  });

  it('autofocus.run is a task on stage + camera; its result is an AutofocusResult; a second run meanwhile is refused', async () => {
    const { taskId } = (await call('autofocus.run', { method: 'sweep' })) as { taskId: string };
    const second = await s.dispatch('autofocus.run', { method: 'net' });
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.error.code).toBe('CONFLICT');
    const end = await s.tasks.wait(taskId);
    expect(end.state).toBe('done');
    const r = AutofocusResult.parse(end.result);
    expect(r.method).toBe('sweep');
    expect(r.images).toBeGreaterThanOrEqual(10);
    expect(Math.abs(s.hardware.devices.sim!.truth().defocusUm)).toBeLessThan(0.5);
    expect(end.message).toMatch(/moved .* um, \d+ images/);
  });

  it('a run can be cancelled (tasks.cancel): the task ends cancelled, the stage stops within its limits', async () => {
    const { taskId } = (await call('autofocus.run', { method: 'sweep' })) as { taskId: string };
    await new Promise((r) => setTimeout(r, 300));
    await call('tasks.cancel', { taskId });
    const end = await s.tasks.wait(taskId);
    expect(end.state).toBe('cancelled');
    const { zUm } = await s.hardware.position();
    const lim = s.hardware.devices.zStage.limits();
    expect(zUm).toBeGreaterThanOrEqual(lim.minUm);
    expect(zUm).toBeLessThanOrEqual(lim.maxUm);
  });

  it('autofocus.history lists the stored runs, newest first', async () => {
    const rows = (await call('autofocus.history', { limit: 10 })) as unknown[];
    const parsed = rows.map((r) => AutofocusHistoryRow.parse(r));
    expect(parsed.map((r) => r.outcome)).toEqual(['cancelled', 'focused']); // the cancelled run is kept too
    expect(parsed[1]).toMatchObject({ method: 'sweep' });
    expect(parsed[0].id).toBeGreaterThan(parsed[1].id);
  });

  it('autofocus.settings: get, set (saved in the data folder), invalid values refused', async () => {
    const view = (await call('autofocus.settings.get', {})) as { settings: { toleranceUm: number }; file: string };
    expect(view.settings.toleranceUm).toBe(0.25);
    const next = (await call('autofocus.settings.set', { toleranceUm: 0.5, fallback: false })) as typeof view;
    expect(next.settings).toMatchObject({ toleranceUm: 0.5, fallback: false });
    expect(JSON.parse(fs.readFileSync(next.file, 'utf8')).toleranceUm).toBe(0.5);
    const bad = await s.dispatch('autofocus.settings.set', { toleranceUm: -2 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('INVALID_INPUT');
  });
});
