import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServices, type Services } from '../../../src/main/services/container';
import { meanNetPrediction, writeExport } from '../evaluation/export-fixture';

const exec = promisify(execFile);
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'models');
const BIN = join(__dirname, '..', '..', '..', 'bin', 'focus-station.js');

let tmp: string;
let userDir: string;
let exportDir: string;
let services: Services;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fs-models-'));
  userDir = join(tmp, 'user-models');
  exportDir = join(tmp, 'export');
  await writeExport(exportDir, [
    { path: 'images/a.png', split: 'test', defocus: meanNetPrediction(100), value: 100 },
    { path: 'images/b.png', split: 'test', defocus: meanNetPrediction(160) + 1, value: 160 },
    { path: 'images/c.png', split: 'train', defocus: 0, value: 128 },
  ]);
  services = await createServices({ frontDoor: 'cli', modelDirs: [userDir], userModelsDir: userDir });
});

afterAll(async () => {
  await services.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('models API', () => {
  it('takes a retrained model back into the user folder, after loading it for real', async () => {
    expect((await services.dispatch('models.list', {})) as any).toEqual({ ok: true, result: [] });
    const r = await services.dispatch('models.import', { path: join(FIXTURES, 'mean-net.onnx') });
    expect(r).toMatchObject({ ok: true, result: { id: 'mean-net', valid: true } });
    expect(existsSync(join(userDir, 'mean-net.onnx')) && existsSync(join(userDir, 'mean-net.json'))).toBe(true);
    const again = await services.dispatch('models.import', { path: join(FIXTURES, 'mean-net.json') });
    expect(again).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    const replaced = await services.dispatch('models.import', { path: join(FIXTURES, 'mean-net.json'), replace: true });
    expect(replaced.ok).toBe(true);
  });

  it.each(['bad-sha.onnx', 'future-card.json', 'wrong-shape.onnx', 'missing.onnx'])(
    'refuses %s with a clear error and copies nothing',
    async (file) => {
      const before = readdirSync(userDir).sort();
      const r = await services.dispatch('models.import', { path: join(FIXTURES, file) });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message.length).toBeGreaterThan(10);
      expect(readdirSync(userDir).sort()).toEqual(before);
    },
  );

  it('shows a card and evaluates through a task, then reads the report', async () => {
    const card = await services.dispatch('models.card', { id: 'mean-net' });
    expect(card).toMatchObject({ ok: true, result: { id: 'mean-net', card: { architecture: expect.any(String) } } });
    const reportDir = join(tmp, 'report');
    const started = await services.dispatch('models.evaluate', { models: ['mean-net'], dataDir: exportDir, reportDir });
    expect(started.ok).toBe(true);
    const end = await services.tasks.wait((started as any).result.taskId);
    expect(end.state).toBe('done');
    const m = (end.result as any).models[0];
    expect(m.n_patches).toBe(2);
    // One test image is predicted exactly, the other is 1 um off.
    expect(m.error_mean_um).toBeCloseTo(0.5, 2);
    const report = await services.dispatch('models.report', { dir: reportDir });
    expect(report.ok).toBe(true);
    if (report.ok) {
      expect((report.result as any).markdown).toMatch(/mean-net/);
      expect((report.result as any).plots.length).toBeGreaterThan(0);
    }
    const bad = await services.dispatch('models.evaluate', { models: [], dataDir: exportDir });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('CLI: models import + evaluate --json print the documented shape', async () => {
    const env = { ...process.env, FOCUS_STATION_DATA_DIR: join(tmp, 'cli-data') };
    await exec(process.execPath, [BIN, 'models', 'import', join(FIXTURES, 'mean-net.onnx')], { env });
    const { stdout } = await exec(
      process.execPath,
      [BIN, 'evaluate', '--model', 'mean-net', '--data', exportDir, '--json'],
      { env, timeout: 120_000 },
    );
    const out = JSON.parse(stdout);
    expect(Object.keys(out.models[0])).toEqual(
      expect.arrayContaining([
        'model',
        'n_patches',
        'rmse_um',
        'error_mean_um',
        'error_std_um',
        'error_by_range',
        'sign_error_rate',
        'within_dof',
        'size_bytes',
        'ms_per_patch',
        'ms_per_frame',
      ]),
    );
    expect(Object.keys(out.models[0].error_by_range)).toEqual(['-10..-5', '-5..5', '5..10']);
    const failed = await exec(process.execPath, [BIN, 'evaluate', '--model', 'nope', '--data', exportDir], {
      env,
    }).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/nope/);
  });
});
