import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateWithSamples,
  type EvaluationOutput,
  type EvaluationProgress,
} from '../../../src/main/evaluation/evaluate';
import { InferenceEngine } from '../../../src/main/inference/engine';
import { markdownReport } from '../../../src/main/evaluation/report';
import { stackOrdering } from '../../../src/main/evaluation/metrics';
import { ModelRegistry } from '../../../src/main/inference/registry';
import { FIXTURES, fixture, scratchDir } from '../inference/helpers';
import { MODEL_PIXEL_SIZE, meanNetPrediction, valueFor, writeExport, type ExportImage } from './export-fixture';

// Test patches: label and the prediction mean-net will give for the chosen grey level.
const PATCHES: Array<[defocus: number, predicted: number]> = [
  [-8, -3.5], // far off, right sign
  [-3, -2.6],
  [-1.5, 1.2], // sign error
  [0.2, 0.3],
  [2, 2.2],
  [6, 4.4],
];

function images(): ExportImage[] {
  const list: ExportImage[] = PATCHES.map(([defocus, predicted], i) => ({
    path: `images/p${i}.png`,
    split: 'test',
    defocus,
    value: valueFor(predicted),
  }));
  // 16-bit greyscale patch
  list.push({ path: 'images/g16.png', split: 'test', defocus: -0.8, value: 30000, channels: 1, bitDepth: 16 });
  // a full frame at the model's pixel size: 2 x 2 patches
  list.push({ path: 'images/frame.png', split: 'test', defocus: 4, value: valueFor(3.1), width: 500, height: 460 });
  // a frame at twice the pixel size: resampled to 500 x 460, 2 x 2 patches
  list.push({
    path: 'images/coarse.png',
    split: 'test',
    defocus: -4,
    value: valueFor(-1),
    width: 250,
    height: 230,
    pixelSize: 2 * MODEL_PIXEL_SIZE,
  });
  // training rows must be ignored; a missing test image is skipped and reported
  list.push({ path: 'images/t0.png', split: 'train', defocus: 9, value: 0 });
  list.push({ path: 'images/t1.png', split: 'train', defocus: -9, value: 255 });
  list.push({ path: 'images/lost.png', split: 'test', defocus: 1, value: 0, missing: true });
  return list;
}

/** Expected (truth, prediction) per patch, computed from the images, independently of the code under test. */
function expectedPairs(): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (const img of images()) {
    if (img.split !== 'test' || img.missing) continue;
    const n = img.width === 500 || img.width === 250 ? 4 : 1;
    for (let k = 0; k < n; k++) pairs.push([img.defocus, meanNetPrediction(img.value, img.bitDepth ?? 8)]);
  }
  return pairs;
}

describe('evaluate on a small export with the mean-net fixture', () => {
  let dir: string;
  let reportDir: string;
  let output: EvaluationOutput;
  const progress: EvaluationProgress[] = [];

  beforeAll(async () => {
    dir = scratchDir('evaluate-export');
    reportDir = scratchDir('evaluate-report');
    await writeExport(dir, images());
    output = await evaluateWithSamples({
      models: ['mean-net', fixture('heavy-net.onnx')],
      dataDir: dir,
      reportDir,
      modelDirs: [FIXTURES],
      threads: 2,
      batchSize: 8,
      onProgress: (p) => progress.push(p),
      timing: false, // measured in the engine-reuse test below (heavy-net timing would take seconds)
    });
  }, 120_000);

  afterAll(() => undefined);

  it('predicts every test patch (patches, greyscale 16-bit, tiled and resampled frames) and nothing else', () => {
    const mean = output.samples[0];
    const pairs = expectedPairs();
    expect(mean.truth.length).toBe(6 + 1 + 4 + 4);
    expect(Array.from(mean.truth)).toEqual(pairs.map(([t]) => t));
    Array.from(mean.predicted).forEach((p, i) => expect(p).toBeCloseTo(pairs[i][1], 3));
  });

  it('reports the JSON shape of focus-station evaluate --json with the right numbers', () => {
    const m = output.result.models[0];
    const pairs = expectedPairs();
    const errors = pairs.map(([t, p]) => Math.abs(p - t));
    const rmse = Math.sqrt(pairs.reduce((a, [t, p]) => a + (p - t) ** 2, 0) / pairs.length);
    const mean = errors.reduce((a, b) => a + b) / errors.length;
    expect(m).toMatchObject({
      model: 'mean-net',
      n_patches: 15,
      n_images: 9,
      size_bytes: readFileSync(fixture('mean-net.onnx')).length,
      skipped_images: 1,
      training_time_s: 1.5,
      pretraining: null,
      final_train_loss: 0.0123,
      final_test_loss: 0.0456,
    });
    expect(m.rmse_um).toBeCloseTo(rmse, 3);
    expect(m.error_mean_um).toBeCloseTo(mean, 3);
    expect(m.error_mean_nm).toBeCloseTo(mean * 1000, 0);
    expect(m.error_std_um).toBeCloseTo(Math.sqrt(errors.reduce((a, e) => a + (e - mean) ** 2, 0) / errors.length), 3);
    expect(Object.keys(m.error_by_range)).toEqual(['-10..-5', '-5..5', '5..10']);
    expect(m.error_by_range['-10..-5']).toBeCloseTo(Math.abs(meanNetPrediction(valueFor(-3.5)) + 8), 3);
    // |d| >= 1: -8, -3, -1.5 (wrong), 2, 6, frame 4 x4, coarse -4 x4 -> 1 wrong of 13
    expect(m.sign_error_rate).toBeCloseTo(1 / 13, 10);
    const dof = 0.55 / 0.75 ** 2 + 0.1725 / 0.75;
    expect(m.dof_um).toBeCloseTo(dof, 10);
    expect(m.within_dof).toBeCloseTo(errors.filter((e) => e <= dof / 2).length / errors.length, 10);
    expect(m).toMatchObject({ ms_per_patch: null, ms_per_frame: null });
    expect(m.warnings.join(' ')).toMatch(/lost\.png/);
    expect(m.warnings.join(' ')).toMatch(/resampled/);
    expect(JSON.parse(JSON.stringify(output.result)).models[1].model).toBe('heavy-net');
    // ordering within stacks, from each patch's stack_id in the manifest
    const samples = output.samples[0];
    expect(samples.stack).toHaveLength(15);
    expect(new Set(samples.stack).size).toBeGreaterThan(1);
    expect(m.stack_ordering).toEqual(stackOrdering(samples.predicted, samples.truth, samples.stack));
  });

  it('reports progress through loading, prediction and the report', () => {
    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['load', 'predict', 'report']));
    const predict = progress.filter((p) => p.phase === 'predict' && p.model === 'mean-net');
    expect(predict.at(-1)).toMatchObject({ done: 10, total: 10 });
  });

  it('writes a Markdown report with the summary and per-range tables', () => {
    const md = readFileSync(join(reportDir, 'report.md'), 'utf8');
    expect(md).toContain('| Model | Architecture | Patches | Focusing error (um)');
    expect(md).toMatch(/\| mean-net \| ldse-net \| 15 \| \d+\.\d{3} \+- \d+\.\d{3} \|/);
    expect(md).toContain('| Model | -10..-5 um | -5..5 um | 5..10 um |');
    expect(md).toContain('## Ordering within stacks');
    expect(md).toMatch(/\| mean-net \| \d+ \| /);
    expect(md).toContain('![plots/mean-net-predicted-vs-true.png](plots/mean-net-predicted-vs-true.png)');
    const json = JSON.parse(readFileSync(join(reportDir, 'results.json'), 'utf8'));
    expect(json.models.map((m: { model: string }) => m.model)).toEqual(['mean-net', 'heavy-net']);
    const csv = readFileSync(join(reportDir, 'predictions.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('model,image,true_defocus_um,predicted_defocus_um,error_um');
    expect(csv).toHaveLength(1 + 2 * 15);
  });

  it('names a pretraining stage in the training time', () => {
    const m = { ...output.result.models[0], pretraining: { time_s: 231, device: 'cuda (1 x NVIDIA H200)' } };
    const md = markdownReport({ ...output.result, models: [m] });
    expect(md).toContain('| 2 s + 3.9 min pretraining (cuda (1 x NVIDIA H200)) |');
  });

  it('writes valid PNG plots with drawn content', async () => {
    const plots = output.result.report!.plots;
    expect(plots.map((p) => p.slice(reportDir.length + 1))).toEqual([
      'plots/mean-net-predicted-vs-true.png',
      'plots/mean-net-error-vs-true.png',
      'plots/heavy-net-predicted-vs-true.png',
      'plots/heavy-net-error-vs-true.png',
      'plots/error-histogram.png',
    ]);
    // Series colours: mean-net #1f77b4 (blue), heavy-net #d62728 (red); the histogram shows both.
    const isBlue = (r: number, g: number, b: number) => r < 120 && g > 90 && g < 170 && b > 150;
    const isRed = (r: number, g: number, b: number) => r > 180 && g < 110 && b < 110;
    for (const path of plots) {
      expect(existsSync(path)).toBe(true);
      const meta = await sharp(path).metadata();
      expect(meta).toMatchObject({ format: 'png', width: 1280, height: 960 });
      const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      let blue = 0;
      let red = 0;
      let dark = 0;
      for (let i = 0; i < data.length; i += info.channels) {
        if (isBlue(data[i], data[i + 1], data[i + 2])) blue++;
        if (isRed(data[i], data[i + 1], data[i + 2])) red++;
        if (data[i] < 80 && data[i + 1] < 80 && data[i + 2] < 80) dark++;
      }
      if (!path.includes('heavy-net')) expect(blue).toBeGreaterThan(20);
      if (!path.includes('mean-net')) expect(red).toBeGreaterThan(20);
      expect(dark).toBeGreaterThan(500); // axes, ticks and text
    }
  });

  it('refuses an export without test images and a missing model, clearly', async () => {
    const trainOnly = scratchDir('evaluate-train-only');
    await writeExport(trainOnly, [{ path: 'images/t.png', split: 'train', defocus: 1, value: 9 }]);
    await expect(
      evaluateWithSamples({ models: ['mean-net'], dataDir: trainOnly, modelDirs: [FIXTURES] }),
    ).rejects.toMatchObject({
      code: 'no-test-data',
    });
    await expect(
      evaluateWithSamples({ models: ['no-such-model'], dataDir: dir, modelDirs: [FIXTURES], timing: false }),
    ).rejects.toMatchObject({
      code: 'model-not-found',
    });
    await expect(evaluateWithSamples({ models: [], dataDir: dir })).rejects.toMatchObject({ code: 'no-models' });
  });

  it('measures ms per patch and per 2592x1944 frame, on a caller engine that it leaves open', async () => {
    const engine = await InferenceEngine.create({ threads: 1, registry: new ModelRegistry([FIXTURES]) });
    try {
      const phases: string[] = [];
      const { result } = await evaluateWithSamples({
        models: ['mean-net'],
        dataDir: dir,
        engine,
        onProgress: (p) => phases.push(p.phase),
      });
      expect(result.models[0]).toMatchObject({ n_patches: 15, patches_per_frame: 88, timing_batch: 32, threads: 1 });
      expect(result.models[0].ms_per_patch).toBeGreaterThan(0);
      expect(result.models[0].ms_per_frame).toBeGreaterThan(result.models[0].ms_per_patch!);
      expect(phases).toContain('timing');
      await engine.load('mean-net');
      expect(engine.loaded().map((m) => m.id)).toEqual(['mean-net']);
    } finally {
      await engine.close();
    }
  });
});
