/**
 * The autofocus service on the virtual microscope: runs stored in a real temp dataset (per-patch predictions, moves,
 * verified residual, hard examples with their labelled first frame), the model/setup check with the real registry
 * and the mean-net ONNX fixture, the settings file, the history.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { VirtualMicroscope } from '../../../src/hardware/sim';
import type { Camera } from '../../../src/hardware/types';
import { AutofocusService } from '../../../src/main/autofocus/service';
import type { DefocusPredictor } from '../../../src/main/autofocus/estimate';
import type { Dataset } from '../../../src/main/dataset/db';
import { listAutofocusRuns } from '../../../src/main/dataset/repo/autofocus';
import { InferenceEngine, ModelRegistry } from '../../../src/main/inference';
import { newDataset, tempDir } from '../../helpers/datasetFixtures';
import { hardwareOf, smallMicroscope, truthPredictor } from './helpers';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'models');
let vm: VirtualMicroscope | undefined;
let ds: Dataset | undefined;
let engine: InferenceEngine | undefined;

afterEach(async () => {
  await vm?.dispose();
  vm = undefined;
  ds?.close();
  ds = undefined;
});
afterAll(() => engine?.close());

function service(
  v: VirtualMicroscope,
  predictor?: DefocusPredictor,
  registryDirs: string[] = [FIXTURES],
  camera: Camera = v.camera,
) {
  const registry = new ModelRegistry(registryDirs);
  ds = newDataset('autofocus');
  const dataset = ds;
  return new AutofocusService({
    hardware: () => ({ ...hardwareOf(v), camera }),
    registry,
    engine: async () => (engine ??= await InferenceEngine.create({ threads: 1, registry })),
    dataDir: tempDir('autofocus-data'),
    dataset: () => dataset,
    slideName: () => v.slide.name,
    predictor,
  });
}

describe('runs are stored in the dataset', () => {
  it('a network run: start z, every estimate with its per-patch predictions, the moves, the residual, the time', async () => {
    vm = await smallMicroscope(-4.2);
    const svc = service(vm, truthPredictor(1));
    const r = await svc.run({ method: 'net' });
    expect(r.outcome).toBe('focused');
    expect(r.runId).not.toBeNull();
    const rows = listAutofocusRuns(ds!.db);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row.method).toBe('net');
    expect(row.z_start_um).toBeCloseTo(-4.2, 9);
    expect(row.z_end_um).toBeCloseTo(r.finalZUm, 9);
    expect(row.verified_residual_um).toBeCloseTo(r.residualUm!, 9);
    expect(Math.abs(row.verified_residual_um!)).toBeLessThanOrEqual(0.25);
    expect(row.time_ms).toBeGreaterThan(0);
    expect(row.hard_example).toBe(0);
    const predictions = JSON.parse(row.predictions!);
    expect(predictions.estimates.length).toBe(r.images);
    const first = predictions.estimates[0];
    expect(first.zUm).toBeCloseTo(-4.2, 9);
    expect(first.patches.length).toBe(first.patchesTotal > 0 ? first.patches.length : 0);
    expect(first.patches.length).toBeGreaterThanOrEqual(3);
    expect(first.patches[0]).toEqual(
      expect.objectContaining({
        x: expect.any(Number),
        y: expect.any(Number),
        width: 224,
        height: 224,
        defocusUm: expect.any(Number),
      }),
    );
    expect(Math.abs(first.patches[0].defocusUm - -4.2)).toBeLessThan(0.5);
    expect(JSON.parse(row.moves!)).toHaveLength(r.moves.length);
    const history = await svc.history();
    expect(history[0]).toMatchObject({
      id: row.id,
      method: 'net',
      outcome: 'focused',
      images: r.images,
      hardExample: false,
    });
  });

  it('a wrong-sign model: the fallback decides, the run is a hard example and its first frame is stored, labelled', async () => {
    vm = await smallMicroscope(3.1);
    const svc = service(vm, truthPredictor(-1));
    const r = await svc.run({ method: 'net' });
    expect(r.decidedBy).toBe('net+fallback');
    expect(r.hardExample).toBe(true);
    const row = listAutofocusRuns(ds!.db)[0];
    expect(row.method).toBe('net+fallback');
    expect(row.hard_example).toBe(1);
    expect(row.stack_id).not.toBeNull();
    const stack = ds!.db.prepare('SELECT * FROM stacks WHERE id = ?').get(row.stack_id) as {
      z_focus_um: number;
      source: string;
    };
    expect(stack.source).toBe('autofocus');
    // The label of the stored first frame comes from the classic search: z_focus near the true focus (0).
    expect(Math.abs(stack.z_focus_um)).toBeLessThan(0.5);
    const images = ds!.db.prepare('SELECT * FROM images WHERE stack_id = ?').all(row.stack_id) as { z_um: number }[];
    expect(images).toHaveLength(1);
    expect(images[0].z_um).toBeCloseTo(3.1, 9);
  });

  it('a classic sweep is stored with its method and no model', async () => {
    vm = await smallMicroscope(2);
    const svc = service(vm);
    const r = await svc.run({ method: 'sweep' });
    const row = listAutofocusRuns(ds!.db)[0];
    expect(row.method).toBe('sweep');
    expect(row.model_id).toBeNull();
    expect(r.images).toBeGreaterThanOrEqual(10);
    expect(JSON.parse(row.predictions!).curve.length).toBe(r.images);
  });
});

describe('model and setup', () => {
  it('picks the registry model for the setup and stores it (mean-net, a real ONNX session)', async () => {
    vm = await smallMicroscope(1.5);
    const dir = tempDir('models');
    for (const f of ['mean-net.json', 'mean-net.onnx', 'bad-sha.json', 'bad-sha.onnx'])
      fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
    const svc = service(vm, undefined, [dir]); // bad-sha (also 20x) ranks first by name but fails its hash check
    const est = await svc.estimate();
    expect(est.modelId).toBe('mean-net');
    expect(est.status).toBe('ok');
    expect(est.patchesUsed).toBeGreaterThan(0);
    const r = await svc.run({ method: 'net', settings: { stepLimit: 1, fallback: false } });
    expect(r.modelId).toBe('mean-net');
    const row = listAutofocusRuns(ds!.db)[0];
    expect(row.model_id).toBe('mean-net');
    const model = ds!.db.prepare('SELECT id, setup_id FROM models').get() as { id: string; setup_id: string };
    expect(model).toEqual({ id: 'mean-net', setup_id: '20x' });
  });

  it('a monochrome camera gets the model made for monochrome cameras; a colour camera the colour one', async () => {
    vm = await smallMicroscope(1.5);
    const dir = tempDir('models');
    for (const f of ['mean-net.json', 'mean-net.onnx']) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
    const card = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'mean-net.json'), 'utf8'));
    card.id = 'mean-net-mono';
    card.file = 'mean-net-mono.onnx';
    card.input.camera = 'monochrome';
    fs.writeFileSync(path.join(dir, 'mean-net-mono.json'), JSON.stringify(card));
    fs.copyFileSync(path.join(FIXTURES, 'mean-net.onnx'), path.join(dir, 'mean-net-mono.onnx'));
    expect((await service(vm, undefined, [dir]).resolveModel())?.ref).toBe('mean-net');
    ds?.close();
    const colour = vm.camera;
    // The same camera as a monochrome one says it is (one channel); only its info matters for the choice.
    const mono: Camera = {
      open: () => colour.open(),
      close: () => colour.close(),
      isOpen: () => colour.isOpen(),
      info: () => ({ ...colour.info(), channels: 1 }),
      getExposureMs: () => colour.getExposureMs(),
      setExposureMs: (ms) => colour.setExposureMs(ms),
      snap: () => colour.snap(),
    };
    expect((await service(vm, undefined, [dir], mono).resolveModel())?.ref).toBe('mean-net-mono');
  });

  it('a 20x model on the 40x microscope: "model does not match this setup", nothing moves; the override allows it', async () => {
    vm = await smallMicroscope(2.5, { setup: '40x' });
    const svc = service(vm);
    await svc.setSettings({ model: 'mean-net' });
    const r = await svc.run({ method: 'net' });
    expect(r.outcome).toBe('model-mismatch');
    expect(r.message).toMatch(/^Model does not match this setup: mean-net/);
    expect(r.images).toBe(0);
    expect(vm.truth().defocusUm).toBeCloseTo(2.5, 9);
    await expect(svc.estimate()).rejects.toMatchObject({ code: 'model-mismatch' });
    const allowed = await svc.estimate({ allowModelMismatch: true });
    expect(allowed.modelId).toBe('mean-net');
  });

  it('the 40x microscope with only a 20x model found: no model for this setup (never a silent mismatch)', async () => {
    vm = await smallMicroscope(2.5, { setup: '40x' });
    const r = await service(vm).run({ method: 'net' });
    expect(r.outcome).toBe('no-model');
    expect(r.message).toMatch(/found: .*mean-net/);
  });

  it('no model for the setup: a clear outcome naming where it looked', async () => {
    vm = await smallMicroscope(2.5);
    const svc = service(vm, undefined, [tempDir('no-models')]);
    const r = await svc.run({ method: 'net' });
    expect(r.outcome).toBe('no-model');
    expect(r.message).toMatch(/^No model for optical setup 20x in /);
  });
});

describe('settings', () => {
  it('are saved as JSON in the data folder and read back by a new service', async () => {
    vm = await smallMicroscope(0);
    const svc = service(vm, truthPredictor(1));
    const saved = await svc.setSettings({ toleranceUm: 0.3, maxMoveUm: 12 });
    expect(saved).toMatchObject({ toleranceUm: 0.3, maxMoveUm: 12, fallback: true });
    const file = svc.settingsFile;
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ toleranceUm: 0.3, maxMoveUm: 12 });
    const again = new AutofocusService({
      hardware: () => hardwareOf(vm!),
      registry: new ModelRegistry([FIXTURES]),
      engine: async () => engine!,
      dataDir: path.dirname(file),
    });
    expect(await again.getSettings()).toMatchObject({ toleranceUm: 0.3, maxMoveUm: 12 });
    await expect(svc.setSettings({ toleranceUm: 'loose' })).rejects.toMatchObject({ code: 'bad-settings' });
  });
});
