/**
 * The dataset and acquisition procedures through the real dispatcher, on a temp database: strict input validation
 * (malformed payloads -> INVALID_INPUT and the dataset unchanged), operator decisions, stats, paged stacks with
 * thumbnails, focus curves, and an acquisition task on the fake microscope.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../../../src/shared/errors';
import { createServices, type Services } from '../../../src/main/services/container';
import type { Dataset } from '../../../src/main/dataset/db';
import { addFakeStack, seedSetupAndSlide, snapshot, tempDir } from '../../helpers/datasetFixtures';
import { fakeDevices } from '../../helpers/fakeMicroscope';

const Z = Array.from({ length: 21 }, (_, i) => -5 + 0.5 * i);
let services: Services;
let ds: Dataset;
let dir: string;
let stackA: number;
let stackB: number;

async function call(method: string, payload: unknown): Promise<ApiResponse> {
  return services.dispatch(method, payload);
}

async function ok<T = any>(method: string, payload: unknown = {}): Promise<T> {
  const r = await call(method, payload);
  if (!r.ok) throw new Error(`${method} failed: ${r.error.code} ${r.error.message}`);
  return r.result as T;
}

async function waitTask(taskId: string) {
  return services.tasks.wait(taskId);
}

beforeAll(async () => {
  dir = tempDir('app-dataset');
  const dev = await fakeDevices({ seed: 21, zFocusUm: 0.3, width: 96, height: 72 });
  services = await createServices({
    frontDoor: 'cli',
    databasePath: path.join(dir, 'ds.sqlite'),
    microscope: {
      profileName: 'fake',
      setupId: '20x',
      camera: dev.camera,
      zStage: dev.z,
      xyStage: dev.xy,
      close: async () => {},
    },
  });
  ds = services.dataset.get();
  const { setup, slide } = seedSetupAndSlide(ds);
  stackA = (await addFakeStack(ds, { slideId: slide.id, setupId: setup.id, z: Z, fake: { seed: 3, zFocusUm: 0.4 } }))
    .stackId;
  stackB = (
    await addFakeStack(ds, { slideId: slide.id, setupId: setup.id, z: Z, fake: { seed: 4, zFocusUm: -0.6 }, xUm: 1000 })
  ).stackId;
});

afterAll(async () => {
  await services.close();
});

const MALFORMED: [string, unknown][] = [
  ['dataset.stats', { extra: 1 }],
  ['dataset.stacks', { limit: 0 }],
  ['dataset.stacks', { offset: -1 }],
  ['dataset.stacks', { verdict: 'great' }],
  ['dataset.stacks', { sneaky: true }],
  ['dataset.stack', { stackId: 'one' }],
  ['dataset.focusCurve', { stackId: 1, metric: 'sobel' }],
  ['dataset.images', {}],
  ['dataset.decide', { stackId: 1, decision: { action: 'override' } }],
  ['dataset.decide', { stackId: 1, decision: { action: 'override', zFocusUm: '1.5' } }],
  ['dataset.decide', { stackId: 1, decision: { action: 'override', zFocusUm: Infinity } }],
  ['dataset.decide', { stackId: 1, decision: { action: 'explode' } }],
  ['dataset.decide', { stackId: -3, decision: { action: 'accept' } }],
  ['dataset.decide', { stackId: 1, decision: { action: 'reset', note: 'reset takes no note' } }],
  ['dataset.export', { out: '' }],
  ['dataset.export', { out: '/tmp/x', split: 'random' }],
  ['dataset.export', { out: '/tmp/x', testFraction: 0.9 }],
  ['dataset.import', { path: '/tmp', format: 'zip', setupId: '20x' }],
  ['dataset.import', { path: '/tmp', format: 'filenames', setupId: '20x', pattern: '(' }],
  ['dataset.import', { path: '/tmp', format: 'filenames', setupId: 'bad id!' }],
  ['dataset.exportStackOmeTiff', { stackId: 1 }],
  ['acquisition.start', { slideName: '', setupId: '20x', z0Um: 0 }],
  ['acquisition.start', { slideName: 's', setupId: '20x', z0Um: 0, range: { fromUm: 5, toUm: -5, stepUm: 0.5 } }],
  ['acquisition.start', { slideName: 's', setupId: '20x', z0Um: 0, grid: { nx: 0, ny: 1 } }],
  ['acquisition.start', { slideName: 's', setupId: '20x', z0Um: 0, grid: { nx: 1 }, positions: [{ xUm: 0, yUm: 0 }] }],
  ['acquisition.start', { slideName: 's', setupId: '20x', z0Um: Number.NaN }],
  ['acquisition.start', { slideName: 's', setupId: '20x' }],
  ['acquisition.plan', { slideName: 's', setupId: '20x', z0Um: 0, range: { fromUm: -10, toUm: 10, stepUm: 0.001 } }],
  ['acquisition.resume', { runId: 'a' }],
  ['acquisition.quickFocus', { stepUm: 0 }],
  ['acquisition.goToZ', {}],
  ['acquisition.simulate', { roi: { width: 10, height: 10 } }],
  ['acquisition.simulate', { setupId: '60x' }],
  ['acquisition.simulate', { exclude: 'HE_L1' }],
];

describe('dataset API through the dispatcher', () => {
  it('refuses every malformed payload with INVALID_INPUT and leaves the dataset as it was', async () => {
    const before = snapshot(ds);
    for (const [method, payload] of MALFORMED) {
      const r = await call(method, payload);
      expect(r.ok, `${method} ${JSON.stringify(payload)}`).toBe(false);
      if (!r.ok) expect([method, r.error.code]).toEqual([method, 'INVALID_INPUT']);
    }
    expect(services.tasks.list()).toEqual([]);
    expect(snapshot(ds)).toEqual(before);
  });

  it('gives the stats and the setups (dataset + presets)', async () => {
    const stats = await ok('dataset.stats');
    expect(stats).toMatchObject({ slides: 1, stacks: 2, images: 42 });
    expect(stats.bySetup).toEqual([{ setupId: '20x', name: '20x / 0.75', stacks: 2, images: 42 }]);
    const setups = await ok<any[]>('dataset.setups');
    expect(setups.find((s) => s.id === '20x')).toMatchObject({ inDataset: true, preset: true, stacks: 2 });
    expect(setups.find((s) => s.id === '40x')).toMatchObject({ inDataset: false, preset: true, stacks: 0 });
  });

  it('pages stacks newest first with thumbnails of the plane nearest focus', async () => {
    const p1 = await ok('dataset.stacks', { limit: 1 });
    expect(p1.total).toBe(2);
    expect(p1.stacks.map((s: any) => s.id)).toEqual([stackB]);
    expect(p1.stacks[0].thumbnail).toMatch(/^data:image\/jpeg;base64,/);
    const p2 = await ok('dataset.stacks', { limit: 1, offset: 1, thumbnails: false });
    expect(p2.stacks.map((s: any) => s.id)).toEqual([stackA]);
    expect(p2.stacks[0].thumbnail).toBeNull();
    expect((await ok('dataset.stacks', { verdict: 'unlabelled' })).total).toBe(0);
  });

  it("returns a stack's focus curve with its fitted peak and its labelled planes", async () => {
    const curve = await ok('dataset.focusCurve', { stackId: stackA });
    expect(curve.points).toHaveLength(21);
    expect(curve.fitted.length).toBeGreaterThan(5);
    const detail = await ok('dataset.stack', { stackId: stackA });
    expect(curve.label.zFocusUm).toBeCloseTo(detail.zFocusUm, 9);
    expect(Math.abs(detail.zFocusUm - 0.4)).toBeLessThan(0.25);
    const { images } = await ok('dataset.images', { stackId: stackA });
    expect(images).toHaveLength(21);
    for (const i of images) expect(i.defocusUm).toBeCloseTo(i.zUm - detail.zFocusUm, 9);
    const missing = await call('dataset.focusCurve', { stackId: 9999 });
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('applies accept, override, exclude and reset, relabelling the planes', async () => {
    const auto = (await ok('dataset.stack', { stackId: stackB })).zFocusUm as number;
    expect((await ok('dataset.decide', { stackId: stackB, decision: { action: 'accept' } })).operatorStatus).toBe(
      'accepted',
    );
    const over = await ok('dataset.decide', {
      stackId: stackB,
      decision: { action: 'override', zFocusUm: 1.25, note: 'peak at the cells' },
    });
    expect(over).toMatchObject({
      operatorStatus: 'overridden',
      zFocusUm: 1.25,
      zFocusSource: 'operator',
      autoZFocusUm: auto,
      operatorNote: 'peak at the cells',
    });
    for (const i of (await ok('dataset.images', { stackId: stackB })).images)
      expect(i.defocusUm).toBeCloseTo(i.zUm - 1.25, 9);
    expect((await ok('dataset.decide', { stackId: stackB, decision: { action: 'exclude' } })).operatorStatus).toBe(
      'excluded',
    );
    expect((await ok('dataset.stats')).stacksByOperator).toMatchObject({ excluded: 1, auto: 1 });
    const reset = await ok('dataset.decide', { stackId: stackB, decision: { action: 'reset' } });
    expect(reset).toMatchObject({ operatorStatus: 'auto', zFocusUm: auto });
    for (const i of (await ok('dataset.images', { stackId: stackB })).images)
      expect(i.defocusUm).toBeCloseTo(i.zUm - auto, 9);
    const nope = await call('dataset.decide', { stackId: 424242, decision: { action: 'accept' } });
    expect(nope).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('exports as a task, and refuses a second export into the same non-empty folder', async () => {
    const out = path.join(dir, 'export');
    const { taskId } = await ok('dataset.export', { out, seed: 1, omeTiff: true });
    const end = await waitTask(taskId);
    expect(end.state).toBe('done');
    expect(end.result).toMatchObject({ images: 42, stacks: 2, omeTiffs: 2 });
    expect(fs.readFileSync(path.join(out, 'manifest.csv'), 'utf8').trim().split('\n')).toHaveLength(43);
    expect(fs.readdirSync(path.join(out, 'ome-tiff')).sort()).toEqual([
      `s${String(stackA).padStart(6, '0')}.ome.tif`,
      `s${String(stackB).padStart(6, '0')}.ome.tif`,
    ]);
    const again = await waitTask((await ok('dataset.export', { out })).taskId);
    expect(again.state).toBe('failed');
    expect(again.error?.message).toMatch(/not empty/);
  });

  it('plans an acquisition (41 planes by default) and refuses one outside the Z limits before creating anything', async () => {
    const plan = await ok('acquisition.plan', { slideName: 'p', setupId: '20x', z0Um: 0, grid: { nx: 2, ny: 1 } });
    expect(plan.planesPerStack).toBe(41);
    expect(plan.totalPlanes).toBe(82);
    expect(plan.positions).toHaveLength(2);
    expect(plan.estimatedS).toBeGreaterThan(0);
    const before = snapshot(ds);
    const r = await call('acquisition.start', { slideName: 'far', setupId: '20x', z0Um: 10_000 });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(r.ok ? '' : r.error.message).toMatch(/outside the Z limits/);
    expect(snapshot(ds)).toEqual(before);
  });

  it('acquires a stack as a task with progress, on a preset setup it adds to the dataset', async () => {
    const { taskId } = await ok('acquisition.start', {
      slideName: 'api-slide',
      setupId: '40x',
      z0Um: 0,
      range: { fromUm: -3, toUm: 3, stepUm: 0.5 },
    });
    const progress: number[] = [];
    const off = services.bus.subscribe((e) => {
      if (e.event === 'task.progress' && e.data.id === taskId) progress.push(e.data.done);
    });
    const end = await waitTask(taskId);
    off();
    expect(end.state).toBe('done');
    expect(end.total).toBe(13);
    expect(progress[progress.length - 1]).toBe(13);
    expect((end.result as any).stacks).toHaveLength(1);
    const setups = await ok<any[]>('dataset.setups');
    expect(setups.find((s) => s.id === '40x')).toMatchObject({ inDataset: true, stacks: 1, images: 13 });
    expect(await ok('acquisition.resumable')).toEqual([]);
  });
});
