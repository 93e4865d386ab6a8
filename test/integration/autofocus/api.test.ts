/**
 * The contract end to end in process: autofocus.* through the dispatcher of the real service container (virtual
 * microscope, mean-net fixture as the setup's model, a temp dataset and data folder).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAutofocusRuns } from '../../../src/main/dataset/repo/autofocus';
import { createServices, type Services } from '../../../src/main/services/container';
import { AutofocusHistoryRow, AutofocusResult, AutofocusSettings, Estimate } from '../../../src/shared/autofocus';
import { colourTemperatureBalance } from '../../../src/hardware/optics/randomize';
import { SETUP_PRESETS, type SimOptions } from '../../../src/shared/optics';
import { tempDir } from '../../helpers/datasetFixtures';
import { writeGlassSlide, writeHalfGlassSlide } from '../../helpers/glassSlide';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'models');
let s: Services;
const savedDataDir = process.env.FOCUS_STATION_DATA_DIR;

beforeAll(async () => {
  const root = tempDir('autofocus-api');
  s = await servicesIn(
    root,
    { setup: '20x', roi: { width: 448, height: 448 }, timeScale: 0, zFocusUm: 0, zStart: 3, renderThreads: 0 },
    [meanNetModels(root)],
  );
});

/** A models folder under `root` holding the mean-net fixture (it reads a tile's brightness). */
function meanNetModels(root: string): string {
  const models = path.join(root, 'models');
  fs.mkdirSync(models);
  for (const f of ['mean-net.json', 'mean-net.onnx']) fs.copyFileSync(path.join(FIXTURES, f), path.join(models, f));
  return models;
}

/** A service container on a virtual microscope, its data folder and dataset under `root`. */
function servicesIn(root: string, sim: SimOptions, modelDirs: string[]): Promise<Services> {
  process.env.FOCUS_STATION_DATA_DIR = path.join(root, 'data');
  return createServices({
    frontDoor: 'cli',
    sim,
    modelDirs,
    databasePath: path.join(root, 'ds.sqlite'),
    inferenceThreads: 1,
  });
}

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

  it('autofocus.whiteReference.take refuses a field with sample, saying what to do, and keeps the settings', async () => {
    const before = (await call('autofocus.settings.get', {})) as { settings: Record<string, unknown> };
    const r = await s.dispatch('autofocus.whiteReference.take', {});
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('FAILED');
      expect(r.error.details?.reason).toBe('bad-reference');
      expect(r.error.message).toMatch(/not blank glass.*move to an empty area/);
    }
    expect(((await call('autofocus.settings.get', {})) as typeof before).settings).toEqual(before.settings);
  });

  it('autofocus.whiteReference.take is refused while a task uses the camera', async () => {
    const { taskId } = (await call('autofocus.run', { method: 'sweep' })) as { taskId: string };
    const r = await s.dispatch('autofocus.whiteReference.take', {});
    await s.tasks.wait(taskId);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('CONFLICT');
      expect(r.error.message).toMatch(/is using the camera/);
    }
  });
  it("applies a saved white reference to this camera's frames only", async () => {
    // mean-net reads 2 x the mean of the normalised tile + 0.5, so a brighter balanced tile reads larger
    const camera = s.hardware.devices.camera.info();
    const dim = { glassRgb: [0.1, 0.1, 0.1], exposureMs: 10, takenAt: '2026-11-27T11:00:00.000Z' };
    const asIs = Estimate.parse(await call('autofocus.estimate', {}));
    await call('autofocus.settings.set', { whiteReference: { ...dim, camera: `${camera.kind}: ${camera.name}` } });
    const balanced = Estimate.parse(await call('autofocus.estimate', {}));
    await call('autofocus.settings.set', { whiteReference: { ...dim, camera: 'ffmpeg: another camera' } });
    const other = Estimate.parse(await call('autofocus.estimate', {}));
    // a run records the reference its frames were balanced by; a sweep (no network) records none
    const mine = { ...dim, camera: `${camera.kind}: ${camera.name}` };
    await call('autofocus.settings.set', { whiteReference: mine });
    const runs: Record<string, unknown> = {};
    for (const method of ['net', 'sweep']) {
      const { taskId } = (await call('autofocus.run', { method })) as { taskId: string };
      await s.tasks.wait(taskId);
      const last = listAutofocusRuns(s.dataset.get().db).at(-1)!;
      runs[method] = JSON.parse(last.predictions!).whiteReference;
    }
    expect(runs).toEqual({ net: mine, sweep: null });
    await call('autofocus.settings.set', { whiteReference: null });
    expect(balanced.defocusUm!).toBeGreaterThan(asIs.defocusUm! + 0.2);
    expect(other.defocusUm!).toBeCloseTo(asIs.defocusUm!, 1); // only the camera noise differs
  });
});

describe('a white reference over the contract', () => {
  // A slide of bare glass under a white LED without white balance: the operator takes the reference there.
  let g: Services;
  beforeAll(async () => {
    const root = tempDir('autofocus-white');
    g = await servicesIn(
      root,
      {
        setup: '20x',
        slidePath: await writeGlassSlide(root),
        camera: { whiteBalance: [0.62, 1, 1.96], exposureMs: 5 },
        roi: { width: 448, height: 448 },
        timeScale: 0,
        renderThreads: 0,
      },
      [path.join(root, 'no-models')],
    );
  });
  // the file's afterAll puts FOCUS_STATION_DATA_DIR back
  afterAll(async () => {
    await g?.close();
  });

  it('is measured, saved with the settings, and cleared again', async () => {
    const r = await g.dispatch('autofocus.whiteReference.take', { setExposure: false });
    if (!r.ok) throw new Error(r.error.message);
    const view = r.result as { settings: AutofocusSettings; file: string; exposure: unknown };
    const ref = view.settings.whiteReference!;
    expect(view.exposure).toBeNull();
    expect(ref.exposureMs).toBe(5);
    expect(ref.camera).toMatch(/^sim: /);
    // glass at 600 e-/ms x 5 ms of a 10 500 e- well = 0.286 in green; the LED's blue nearly twice, red 0.62
    expect(ref.glassRgb[1]).toBeGreaterThan(0.25);
    expect(ref.glassRgb[1]).toBeLessThan(0.3);
    expect(ref.glassRgb[2] / ref.glassRgb[1]).toBeCloseTo(1.96, 1);
    expect(ref.glassRgb[0] / ref.glassRgb[1]).toBeCloseTo(0.62, 1);
    expect(JSON.parse(fs.readFileSync(view.file, 'utf8')).whiteReference).toEqual(ref);
    const cleared = await g.dispatch('autofocus.settings.set', { whiteReference: null });
    if (!cleared.ok) throw new Error(cleared.error.message);
    expect((cleared.result as { settings: AutofocusSettings }).settings.whiteReference).toBeNull();
  });

  it('sets the camera exposure for the glass by default (its brightest channel, blue, at 80 %)', async () => {
    const r = await g.dispatch('autofocus.whiteReference.take', {});
    if (!r.ok) throw new Error(r.error.message);
    const view = r.result as { settings: AutofocusSettings; exposure: { fromMs: number; toMs: number } };
    expect(view.exposure.fromMs).toBe(5);
    expect(view.exposure.toMs).toBeGreaterThan(6.5); // blue at 0.56 -> 0.8
    expect(g.hardware.devices.camera.getExposureMs()).toBe(view.exposure.toMs);
    expect(Math.max(...view.settings.whiteReference!.glassRgb)).toBeCloseTo(0.8, 1);
    const bad = await g.dispatch('autofocus.whiteReference.take', { setExposure: 'yes' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('INVALID_INPUT');
  });
});

describe('a white reference of the glass in view', () => {
  // Tissue with glass beside it, under a white LED without white balance at half the exposure: the hint's case.
  let g: Services;
  beforeAll(async () => {
    const root = tempDir('autofocus-glass-in-view');
    g = await servicesIn(
      root,
      {
        setup: '20x',
        slidePath: await writeHalfGlassSlide(root),
        camera: { whiteBalance: colourTemperatureBalance(6500, SETUP_PRESETS['20x'].wavelengthsUm), exposureMs: 5 },
        roi: { width: 896, height: 448 },
        timeScale: 0,
        zFocusUm: 0,
        zStart: 0,
        renderThreads: 0,
      },
      [meanNetModels(root)],
    );
  });
  afterAll(async () => {
    await g?.close();
  });

  it('is refused before any glass was seen, then made of the glass an estimate saw, and balances the frames', async () => {
    const before = await g.dispatch('autofocus.whiteReference.fromGlass', {});
    expect(before.ok).toBe(false);
    if (!before.ok) {
      expect(before.error.code).toBe('FAILED');
      expect(before.error.details?.reason).toBe('bad-reference');
      expect(before.error.message).toMatch(/No glass seen near focus yet: .*take a white reference on blank glass/);
    }
    const seen = await g.dispatch('autofocus.estimate', {});
    if (!seen.ok) throw new Error(seen.error.message);
    const asIs = Estimate.parse(seen.result);
    expect(asIs.hint).toMatch(/dimmer and bluer/);
    const r = await g.dispatch('autofocus.whiteReference.fromGlass', {});
    if (!r.ok) throw new Error(r.error.message);
    const view = r.result as { settings: AutofocusSettings; file: string };
    const ref = view.settings.whiteReference!;
    expect(ref.source).toBe('glass in view');
    expect(ref.exposureMs).toBe(5);
    expect(ref.camera).toMatch(/^sim: /);
    ref.glassRgb.forEach((v, c) => expect(v).toBeCloseTo(asIs.glass!.rgb[c], 6));
    expect(JSON.parse(fs.readFileSync(view.file, 'utf8')).whiteReference).toEqual(ref);
    // Balanced now: no glass looked for, no hint, and mean-net (it reads brightness) reads the lifted frame higher.
    const after = await g.dispatch('autofocus.estimate', {});
    if (!after.ok) throw new Error(after.error.message);
    const balanced = Estimate.parse(after.result);
    expect(balanced.hint).toBeUndefined();
    expect(balanced.glass).toBeUndefined();
    expect(balanced.defocusUm!).toBeGreaterThan(asIs.defocusUm! + 0.2);
  });
});
