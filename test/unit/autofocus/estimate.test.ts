/**
 * estimateFrame on hand-made frames with a stub predictor (every tile predicts a value chosen from its position), and
 * with the real mean-net ONNX fixture: all kept tiles go to the model in ONE batched run.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  estimateFrame,
  OnnxPredictor,
  type DefocusPredictor,
  type PredictRequest,
} from '../../../src/main/autofocus/estimate';
import { InferenceEngine, ModelRegistry } from '../../../src/main/inference';
import { blankFrame, noiseFrame, PIXEL_UM, saturatedFrame, tissueFrame } from './frames';

const spec = {
  width: 224,
  height: 224,
  channels: ['R', 'G', 'B'] as const,
  mean: [0.5, 0.5, 0.5] as const,
  std: [0.25, 0.25, 0.25] as const,
  pixelSizeUm: PIXEL_UM,
};

/** Predicts `value(x, y)` for a tile at frame position (x, y); counts calls. */
function stub(value: (x: number, y: number) => number): DefocusPredictor & { calls: PredictRequest[] } {
  const calls: PredictRequest[] = [];
  return {
    modelId: 'stub',
    spec,
    calls,
    async predict(req) {
      calls.push(req);
      return req.positions.map((p) => value(p.frameX, p.frameY));
    },
  };
}

describe('estimateFrame with a stub predictor', () => {
  it('tissue: median of the tiles, a 3x3 map, one predict call', async () => {
    const frame = tissueFrame(1, 672, 672); // 3x3 tiles: one per region
    const p = stub((x, y) => 2 + x / 1000 + y / 10000);
    const e = await estimateFrame(frame, p);
    expect(e.status).toBe('ok');
    expect(p.calls).toHaveLength(1);
    expect(e.patchesTotal).toBe(9);
    expect(e.patchesUsed).toBe(9);
    expect(e.defocusUm).toBeCloseTo(2 + 224 / 1000 + 224 / 10000, 9);
    expect(e.regions[0][0]).toBeCloseTo(2, 9);
    expect(e.regions[2][2]).toBeCloseTo(2 + 448 / 1000 + 448 / 10000, 9);
    expect(e.confidence).toBeGreaterThan(0.8);
    expect(e.patches[0]).toMatchObject({ x: 0, y: 0, width: 224, height: 224, region: 0 });
  });

  it('caps the inferred tiles and still covers every region', async () => {
    const frame = tissueFrame(0, 1344, 896); // 6x4 = 24 tiles
    const p = stub(() => 1);
    const e = await estimateFrame(frame, p, { maxPatches: 9 });
    expect(e.patchesTotal).toBe(24);
    expect(e.patchesKept).toBe(24);
    expect(e.patchesUsed).toBe(9);
    expect(p.calls[0].positions).toHaveLength(9);
    expect(e.regions.flat().every((v) => v === 1)).toBe(true);
  });

  it('wild tiles do not move the estimate; they lower the confidence', async () => {
    const frame = tissueFrame(0, 672, 672);
    const clean = await estimateFrame(
      frame,
      stub(() => -3),
    );
    const wild = await estimateFrame(
      frame,
      stub((x, y) => (x === 0 && y === 0 ? 40 : x === 448 && y === 448 ? -40 : -3)),
    );
    expect(wild.defocusUm).toBe(-3);
    const spread = await estimateFrame(
      frame,
      stub((x, y) => -3 + (x + y) / 200),
    );
    expect(spread.confidence).toBeLessThan(clean.confidence);
  });

  for (const [name, make, reason] of [
    ['blank glass', () => blankFrame(), /blank/],
    ['a saturated frame', () => saturatedFrame(), /saturated/],
    ['a noise frame', () => noiseFrame(), /noise/],
  ] as const) {
    it(`${name}: no focusable content, the model is never called`, async () => {
      const p = stub(() => 5);
      const e = await estimateFrame(make(), p);
      expect(e.status).toBe('no-content');
      expect(e.defocusUm).toBeNull();
      expect(e.reason).toMatch(/^no focusable content: /);
      expect(e.reason).toMatch(reason);
      expect(p.calls).toHaveLength(0);
      expect(e.regions.flat().every((v) => v === null)).toBe(true);
    });
  }

  it('a frame a little smaller than one tile is mirror-padded to one; under half a tile it is refused', async () => {
    const p = stub(() => 1.5);
    const e = await estimateFrame(tissueFrame(0, 200, 150), p);
    expect(e.status).toBe('ok');
    expect(e.patchesTotal).toBe(1);
    expect(e.defocusUm).toBe(1.5);
    const prepared = p.calls[0].prepared;
    expect([prepared.image.width, prepared.image.height]).toEqual([224, 224]);
    expect(prepared.padding).toEqual({
      left: 12,
      top: 37,
      innerWidth: 200,
      innerHeight: 150,
      coverage: (200 * 150) / 224 ** 2,
    });
    // the tile is reported as the frame it covers, in the middle region
    expect(e.patches![0]).toMatchObject({ x: 0, y: 0, width: 200, height: 150, region: 4 });
    // as confident as the same reading on a whole tile, times the share of real pixels
    const whole = await estimateFrame(
      tissueFrame(0, 224, 224),
      stub(() => 1.5),
    );
    expect(e.confidence).toBeCloseTo(whole.confidence * ((200 * 150) / 224 ** 2), 6);

    const small = await estimateFrame(
      tissueFrame(0, 100, 150),
      stub(() => 0),
    );
    expect(small.status).toBe('no-content');
    expect(small.reason).toMatch(/smaller than half a 224x224 patch/);
  });

  it('resamples a frame at another pixel size to the model pixel size first', async () => {
    const frame = { ...tissueFrame(0, 672, 672), pixelSizeUm: PIXEL_UM / 2 }; // 2x finer: 336x336 at the model size
    const p = stub(() => 0);
    const e = await estimateFrame(frame, p);
    expect(e.patchesTotal).toBe(1);
    expect(p.calls[0].prepared.scaleX).toBeCloseTo(0.5, 6);
    expect(e.patches[0].width).toBeCloseTo(448, 6);
  });

  it('drops non-finite predictions tile by tile', async () => {
    const e = await estimateFrame(
      tissueFrame(0, 672, 672),
      stub((x) => (x === 0 ? NaN : 1)),
    );
    expect(e.patchesUsed).toBe(6);
    expect(e.regions[0][0]).toBeNull();
    expect(e.defocusUm).toBe(1);
  });
});

describe('estimateFrame with the mean-net ONNX fixture', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await InferenceEngine.create({
      threads: 1,
      registry: new ModelRegistry([join(__dirname, '../../fixtures/models')]),
    });
  });
  afterAll(() => engine?.close());

  it('predicts every kept tile in one batched run; mean-net output = 2 * mean(x) + 0.5 per tile', async () => {
    const info = await engine.load('mean-net');
    const predictor = new OnnxPredictor(engine, info);
    const runs: number[] = [];
    const original = engine.predict.bind(engine);
    engine.predict = async (id, batch, n, o) => {
      runs.push(n);
      return original(id, batch, n, o);
    };
    const frame = tissueFrame(0, 672, 448);
    const e = await estimateFrame(frame, predictor);
    engine.predict = original;
    expect(runs).toEqual([6]);
    expect(e.patchesUsed).toBe(6);
    // Each tile's prediction is a function of its mean: check one against a direct computation.
    const t = e.patches[0];
    let sum = 0;
    for (let y = t.y; y < t.y + 224; y++)
      for (let x = t.x; x < t.x + 224; x++)
        for (let c = 0; c < 3; c++) sum += (frame.data[(y * 672 + x) * 3 + c] / 255 - 0.5) / 0.25;
    expect(t.defocusUm).toBeCloseTo(2 * (sum / (224 * 224 * 3)) + 0.5, 3);
  });
});
