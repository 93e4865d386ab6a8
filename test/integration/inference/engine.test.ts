import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../../src/main/inference/engine';
import { InferenceError } from '../../../src/main/inference/errors';
import { frameToPatches, preprocessSpecOf } from '../../../src/main/inference/preprocess';
import { ModelRegistry } from '../../../src/main/inference/registry';
import { FIXTURES, fixture, fixtureCard, scratchDir } from '../../unit/inference/helpers';

const PATCH = 3 * 224 * 224;

/** mean-net computes 2 * mean(x) + 0.5 over the normalised input. */
function meanNetOf(batch: Float32Array, n: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let k = i * PATCH; k < (i + 1) * PATCH; k++) s += batch[k];
    return 2 * (s / PATCH) + 0.5;
  });
}

async function errorOf(p: Promise<unknown>): Promise<InferenceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InferenceError);
  return err as InferenceError;
}

/** Writes `<name>.onnx` with the given bytes and a card that matches them (so only onnxruntime can object). */
function modelWithBytes(dir: string, name: string, bytes: Buffer): string {
  writeFileSync(join(dir, `${name}.onnx`), bytes);
  const card = {
    ...fixtureCard('mean-net'),
    id: name,
    file: `${name}.onnx`,
    size_bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(card));
  return join(dir, `${name}.json`);
}

describe('InferenceEngine with real ONNX sessions', () => {
  let engine: InferenceEngine;
  let dir: string;

  beforeAll(async () => {
    dir = scratchDir('engine');
    engine = await InferenceEngine.create({ threads: 2, registry: new ModelRegistry([FIXTURES]) });
    await engine.load('mean-net');
  });

  afterAll(async () => {
    await engine?.close();
  });

  it('loads by id with the card, and reports load and warm-up times', () => {
    const info = engine.info('mean-net')!;
    expect(info).toMatchObject({ id: 'mean-net', inputName: 'patch', outputName: 'defocus_um', patchLength: PATCH });
    expect(info.sizeBytes).toBe(readFileSync(fixture('mean-net.onnx')).length);
    expect(info.warmupMs).toBeGreaterThan(0);
  });

  it('computes the fixture function on real numbers, batched', async () => {
    const n = 5;
    const batch = new Float32Array(n * PATCH);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < PATCH; k++) batch[i * PATCH + k] = (i - 2) * 0.3 + Math.sin(k) * 0.1;
    const expected = meanNetOf(batch, n);
    const out = await engine.predict('mean-net', batch, n);
    expect(out).toHaveLength(n);
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    expect(out[0]).toBeCloseTo(2 * -0.6 + 0.5, 2);
  });

  it('splits batches larger than maxBatch and keeps their order', async () => {
    const small = await InferenceEngine.create({ threads: 1, maxBatch: 3, registry: new ModelRegistry([FIXTURES]) });
    try {
      await small.load(fixture('mean-net.json'));
      const n = 8;
      const batch = new Float32Array(n * PATCH);
      for (let i = 0; i < n; i++) batch.fill(i / 10, i * PATCH, (i + 1) * PATCH);
      const out = await small.predict('mean-net', batch, n);
      // float32 sums over 150528 values: agree to ~1e-4
      expect(Array.from(out)).toEqual(Array.from({ length: n }, (_, i) => expect.closeTo(2 * (i / 10) + 0.5, 3)));
    } finally {
      await small.close();
    }
  });

  it('runs a preprocessed frame end to end', async () => {
    const info = engine.info('mean-net')!;
    // Uniform grey 128 at the model's pixel size, 500 x 460 px: 2 x 2 patches. x = (128/255 - 0.5) / 0.25.
    const frame = {
      width: 500,
      height: 460,
      channels: 1 as const,
      bitDepth: 8 as const,
      data: new Uint8Array(500 * 460).fill(128),
      pixelSizeUm: info.card.optics.pixel_size_um,
      exposureMs: 1,
      timestamp: 0,
    };
    const batch = await frameToPatches(frame, preprocessSpecOf(info.card));
    expect(batch.n).toBe(4);
    const out = await engine.predict('mean-net', batch.data, batch.n, { transfer: true });
    const x = (128 / 255 - 0.5) / 0.25;
    for (const v of out) expect(v).toBeCloseTo(2 * x + 0.5, 4);
  });

  it('gives clear errors for a wrong batch length, an unknown model and n <= 0', async () => {
    const wrong = await errorOf(engine.predict('mean-net', new Float32Array(3 * 112 * 112), 1));
    expect(wrong.code).toBe('bad-input');
    expect(wrong.message).toContain('3x224x224');
    const twoForThree = await errorOf(engine.predict('mean-net', new Float32Array(2 * PATCH), 3));
    expect(twoForThree.message).toContain('holds 2 patches');
    expect((await errorOf(engine.predict('nobody', new Float32Array(PATCH), 1))).code).toBe('not-loaded');
    expect((await errorOf(engine.predict('mean-net', new Float32Array(0), 0))).code).toBe('bad-input');
  });

  it.each([
    ['wrong-shape', 'input-shape'],
    ['wrong-io', 'io-mismatch'],
    ['future-card', 'card-version'],
    ['bad-sha', 'card-mismatch'],
    ['not-a-model', 'model-not-found'],
  ])('refuses %s with code %s', async (id, code) => {
    const err = await errorOf(engine.load(id));
    expect(err.code).toBe(code);
    expect(err.message.length).toBeGreaterThan(20);
    expect(engine.info(id)).toBeUndefined();
  });

  it('refuses a missing ONNX file beside a good card', async () => {
    copyFileSync(fixture('mean-net.json'), join(dir, 'mean-net.json'));
    expect((await errorOf(engine.load(join(dir, 'mean-net.json')))).code).toBe('model-not-found');
  });

  it('refuses corrupt ONNX files (truncated, random bytes) and keeps serving the loaded model', async () => {
    const good = readFileSync(fixture('mean-net.onnx'));
    const truncated = modelWithBytes(dir, 'truncated', good.subarray(0, Math.floor(good.length / 2)));
    let seed = 12345;
    const random = Buffer.from(
      Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255),
    );
    const noise = modelWithBytes(dir, 'noise', random);
    for (const cardPath of [truncated, noise]) {
      const err = await errorOf(engine.load(cardPath));
      expect(err.code).toBe('model-corrupt');
      expect(err.message).toMatch(/corrupt|not an ONNX/);
    }
    // A truncated file under its original card is caught before onnxruntime sees it.
    copyFileSync(fixture('mean-net.json'), join(dir, 'cut.json'));
    writeFileSync(join(dir, 'cut.json'), JSON.stringify({ ...fixtureCard('mean-net'), id: 'cut', file: 'cut.onnx' }));
    writeFileSync(join(dir, 'cut.onnx'), good.subarray(0, 100));
    expect((await errorOf(engine.load(join(dir, 'cut.json')))).code).toBe('card-mismatch');
    const out = await engine.predict('mean-net', new Float32Array(PATCH).fill(0.5), 1);
    expect(out[0]).toBeCloseTo(1.5, 5);
  });

  it('keeps the event loop responsive during a long inference', async () => {
    await engine.load('heavy-net');
    const n = 16;
    const batch = new Float32Array(n * PATCH).map((_, i) => Math.sin(i));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    const out = await engine.predict('heavy-net', batch, n);
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    expect(out).toHaveLength(n);
    expect(elapsed).toBeGreaterThan(100); // long enough to have blocked a timer if it ran on this thread
    // A blocked loop fires a 5 ms interval at most once after the run; a free one fires throughout.
    expect(ticks).toBeGreaterThanOrEqual(Math.min(10, Math.floor(elapsed / 50)));
    await engine.unload('heavy-net');
  });

  it('restarts a crashed worker: the call in flight fails clearly, loaded models come back', async () => {
    const restarts = engine.restarts;
    const crash = engine.simulateWorkerCrash();
    const inFlight = engine.predict('mean-net', new Float32Array(PATCH), 1);
    const err = await errorOf(inFlight);
    expect(err.code).toBe('worker-crashed');
    await crash;
    expect(engine.restarts).toBe(restarts + 1);
    const out = await engine.predict('mean-net', new Float32Array(PATCH).fill(0.25), 1);
    expect(out[0]).toBeCloseTo(1, 5);
  });

  it('stops restarting on its own after repeated crashes, and starts afresh at the next call', async () => {
    const flaky = await InferenceEngine.create({ threads: 1, registry: new ModelRegistry([FIXTURES]) });
    try {
      await flaky.load('mean-net');
      for (let i = 0; i < 3; i++) await flaky.simulateWorkerCrash();
      expect(flaky.loaded().map((m) => m.id)).toEqual(['mean-net']); // reloaded after each of the first crashes
      await flaky.simulateWorkerCrash();
      expect(flaky.restarts).toBe(4);
      expect(flaky.loaded()).toEqual([]);
      expect((await errorOf(flaky.predict('mean-net', new Float32Array(PATCH), 1))).code).toBe('not-loaded');
      await flaky.load('mean-net');
      expect((await flaky.predict('mean-net', new Float32Array(PATCH).fill(0.25), 1))[0]).toBeCloseTo(1, 5);
    } finally {
      await flaky.close();
    }
  });

  it('unloads and closes cleanly', async () => {
    const other = await InferenceEngine.create({ threads: 1, registry: new ModelRegistry([FIXTURES]) });
    await other.load('mean-net');
    await other.unload('mean-net');
    expect((await errorOf(other.predict('mean-net', new Float32Array(PATCH), 1))).code).toBe('not-loaded');
    await other.close();
    expect((await errorOf(other.load('mean-net'))).code).toBe('engine-closed');
  });
});
