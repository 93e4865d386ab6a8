/**
 * npm run bench:inference -- [--model <id|path>]... [--models-dir <dir>]... [--threads N] [--batches 16,32,64]
 *                            [--repeats N] [--json] [--resample]
 *
 * Per model (every valid model in resources/models/ and the given folders, or the given ones): ms per 224x224 patch
 * in batched runs, ms per 2592x1944 frame (preprocess + tile + infer), and the speed ratio to a resnet50 model when
 * one is present. --resample instead compares this app's resampler with sharp's on a 2592x1944 frame.
 */
import { availableParallelism, loadavg } from 'node:os';
import { Command } from 'commander';
import { integerArg, integerListArg } from './cli-args';
import sharp from 'sharp';
import { InferenceEngine, type ModelInfo } from '../src/main/inference/engine';
import { ModelRegistry, defaultModelDirs } from '../src/main/inference/registry';
import { resampleRaster } from '../src/main/inference/resample';
import { areaResample } from './area-resampler';
import { FRAME_HEIGHT, FRAME_WIDTH, timeFrame, timePatches } from '../src/main/inference/timing';

interface ModelBench {
  model: string;
  architecture: string;
  size_bytes: number;
  parameters: number;
  threads: number;
  ms_per_patch: Record<string, number>;
  /** CPU ms (all threads) per patch: what the work costs whatever else runs on the machine. */
  cpu_ms_per_patch: Record<string, number>;
  ms_per_frame: number;
  frame_preprocess_ms: number;
  frame_infer_ms: number;
  patches_per_frame: number;
  /** resnet50 ms/patch divided by this model's (batch 32, or the largest batch run); null without a resnet50. */
  speedup_vs_resnet50: number | null;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function benchModels(opts: {
  model: string[];
  modelsDir: string[];
  threads: number;
  batches: number[];
  repeats: number;
  json: boolean;
}): Promise<void> {
  const registry = new ModelRegistry([...opts.modelsDir, ...defaultModelDirs()]);
  const refs = opts.model.length ? opts.model : (await registry.list()).filter((e) => e.valid).map((e) => e.cardPath);
  if (refs.length === 0) {
    console.error(`no valid model found in ${registry.dirs.join(', ')}; give --model <id|path> or --models-dir <dir>`);
    process.exitCode = 1;
    return;
  }
  const engine = await InferenceEngine.create({ threads: opts.threads, registry });
  const results: ModelBench[] = [];
  try {
    for (const ref of refs) {
      let info: ModelInfo;
      try {
        info = await engine.load(ref);
      } catch (err) {
        console.error(`skipping ${ref}: ${(err as Error).message}`);
        continue;
      }
      if (!opts.json) process.stderr.write(`${info.id}: `);
      const perPatch: Record<string, number> = {};
      const cpuPerPatch: Record<string, number> = {};
      for (const b of opts.batches) {
        const t = await timePatches(engine, info, b, opts.repeats);
        perPatch[b] = t.msPerPatch;
        cpuPerPatch[b] = t.cpuMsPerPatch;
        if (!opts.json) process.stderr.write(`b${b} `);
      }
      const frame = await timeFrame(engine, info, { repeats: Math.max(1, Math.min(opts.repeats, 3)) });
      if (!opts.json) process.stderr.write('frame\n');
      results.push({
        model: info.id,
        architecture: info.architecture,
        size_bytes: info.sizeBytes,
        parameters: info.card.parameters,
        threads: engine.threads,
        ms_per_patch: perPatch,
        cpu_ms_per_patch: cpuPerPatch,
        ms_per_frame: frame.msPerFrame,
        frame_preprocess_ms: frame.msPreprocess,
        frame_infer_ms: frame.msInfer,
        patches_per_frame: frame.patches,
        speedup_vs_resnet50: null,
      });
      await engine.unload(info.id);
    }
  } finally {
    await engine.close();
  }
  const refBatch = String(opts.batches.includes(32) ? 32 : opts.batches[opts.batches.length - 1]);
  const resnet = results.find((r) => r.architecture === 'resnet50');
  for (const r of results) if (resnet) r.speedup_vs_resnet50 = resnet.ms_per_patch[refBatch] / r.ms_per_patch[refBatch];
  if (opts.json) {
    console.log(
      JSON.stringify(
        {
          threads: opts.threads,
          frame: [FRAME_WIDTH, FRAME_HEIGHT],
          load_average: loadavg(),
          cores: availableParallelism(),
          models: results,
        },
        null,
        2,
      ),
    );
    return;
  }
  const header = [
    'model',
    'arch',
    'size',
    ...opts.batches.map((b) => `ms/patch b${b}`),
    `cpu ms/patch b${refBatch}`,
    `ms/frame (${FRAME_WIDTH}x${FRAME_HEIGHT})`,
    'prep ms',
    'patches',
    `x vs resnet50 (b${refBatch})`,
  ];
  const rows = results.map((r) => [
    r.model,
    r.architecture,
    r.size_bytes < 1 << 20 ? `${(r.size_bytes / 1024).toFixed(0)} KB` : `${(r.size_bytes / (1 << 20)).toFixed(1)} MB`,
    ...opts.batches.map((b) => r.ms_per_patch[b].toFixed(2)),
    r.cpu_ms_per_patch[refBatch].toFixed(2),
    r.ms_per_frame.toFixed(0),
    r.frame_preprocess_ms.toFixed(0),
    String(r.patches_per_frame),
    r.speedup_vs_resnet50 === null ? 'n/a' : r.speedup_vs_resnet50.toFixed(1),
  ]);
  printTable(header, rows);
  console.log(
    `(${opts.threads} onnxruntime threads, median of ${opts.repeats} runs per batch; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores: wall times grow with other jobs' load, cpu ms do not)`,
  );
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

// ---- resampler comparison ------------------------------------------------------------------------------------------

/**
 * A camera's view of a continuous test scene: each pixel is the area average of
 * 128 + sum A cos(2 pi fx x + a) cos(2 pi fy y + b) over the pixel, which has a closed form. Rendering the scene
 * directly at the output pixel size gives the ideal resampled image to compare against.
 */
const SCENE = [
  { amp: 40, fx: 0.011, fy: 0.007, ax: 0.3, ay: 1.1 },
  { amp: 25, fx: 0.061, fy: 0.043, ax: 2.0, ay: 0.4 },
  { amp: 15, fx: 0.17, fy: 0.13, ax: 0.9, ay: 2.5 },
  // Above the output Nyquist for shrink factors below ~0.8: an ideal resampler averages it away.
  { amp: 20, fx: 0.41, fy: 0.37, ax: 1.7, ay: 0.2 },
];

function cosAverage(f: number, phase: number, x0: number, x1: number): number {
  const w = 2 * Math.PI * f;
  return (Math.sin(w * x1 + phase) - Math.sin(w * x0 + phase)) / (w * (x1 - x0));
}

/** Scene seen at `pixel` (in input-pixel units) over width x height, RGB (same scene, channel offsets). */
function renderScene(width: number, height: number, pixel: number): Float64Array {
  const out = new Float64Array(width * height * 3);
  for (const s of SCENE) {
    const gx = Array.from({ length: width }, (_, i) => cosAverage(s.fx, s.ax, i * pixel, (i + 1) * pixel));
    const gy = Array.from({ length: height }, (_, j) => cosAverage(s.fy, s.ay, j * pixel, (j + 1) * pixel));
    for (let j = 0; j < height; j++) {
      for (let i = 0; i < width; i++) {
        const v = s.amp * gx[i] * gy[j];
        const k = (j * width + i) * 3;
        out[k] += v;
        out[k + 1] += v * 0.8;
        out[k + 2] += v * 0.6;
      }
    }
  }
  for (let k = 0; k < out.length; k++) out[k] += 128;
  return out;
}

function rmse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

function meanOf(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

async function benchResample(opts: { repeats: number; json: boolean }): Promise<void> {
  const width = FRAME_WIDTH;
  const height = FRAME_HEIGHT;
  const input = Uint8Array.from(renderScene(width, height, 1), (v) => Math.max(0, Math.min(255, Math.round(v))));
  const results: Record<string, unknown>[] = [];
  for (const scale of [0.5, 0.6875, 0.85, 1.45]) {
    const ow = Math.round(width * scale);
    const oh = Math.round(height * scale);
    const ideal = renderScene(ow, oh, width / ow);
    const candidates: Record<string, () => Promise<ArrayLike<number>>> = {
      'own TS (area/bilinear)': async () => areaResample({ width, height, channels: 3, data: input }, ow, oh).data,
      'app (sharp cubic)': async () => (await resampleRaster({ width, height, channels: 3, data: input }, ow, oh)).data,
    };
    for (const kernel of ['linear', 'mitchell', 'lanczos3'] as const) {
      candidates[`sharp ${kernel}`] = async () =>
        sharp(input, { raw: { width, height, channels: 3 } })
          .resize(ow, oh, { kernel, fit: 'fill' })
          .raw()
          .toBuffer();
    }
    for (const [name, run] of Object.entries(candidates)) {
      await run();
      const times: number[] = [];
      let out: ArrayLike<number> = [];
      for (let r = 0; r < opts.repeats; r++) {
        const t0 = performance.now();
        out = await run();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      results.push({
        scale,
        out: `${ow}x${oh}`,
        resampler: name,
        ms: times[times.length >> 1],
        rmse_vs_ideal: rmse(out, ideal),
        mean_shift: meanOf(out) - meanOf(input),
      });
    }
  }
  if (opts.json) {
    console.log(JSON.stringify({ frame: [width, height], results }, null, 2));
    return;
  }
  printTable(
    ['scale', 'output', 'resampler', 'ms', 'RMSE vs ideal (DN)', 'mean shift (DN)'],
    results.map((r) => [
      String(r.scale),
      String(r.out),
      String(r.resampler),
      (r.ms as number).toFixed(1),
      (r.rmse_vs_ideal as number).toFixed(2),
      (r.mean_shift as number).toFixed(3),
    ]),
  );
  console.log(`(${width}x${height} RGB 8-bit frame; the ideal is the scene integrated over the output pixels)`);
}

const program = new Command()
  .name('bench:inference')
  .option('--model <id|path>', 'model id or card/ONNX path (repeatable; default: every valid model found)', collect, [])
  .option('--models-dir <dir>', 'extra folder to look for models in (repeatable)', collect, [])
  .option('--threads <n>', 'onnxruntime intra-op threads', integerArg(1, 256), 2)
  .option('--batches <list>', 'batch sizes', integerListArg(1, 4096), [16, 32, 64])
  .option('--repeats <n>', 'timed runs per measurement', integerArg(1), 5)
  .option('--json', 'print JSON instead of a table', false)
  .option('--resample', "compare the app's resampler with sharp's instead", false);

const opts = program.parse().opts();
if (opts.resample) await benchResample(opts as { repeats: number; json: boolean });
else await benchModels(opts as Parameters<typeof benchModels>[0]);
