/**
 * Autofocus benchmark on the virtual microscope: the network method and the classic sweep on the SAME random starts
 * (N, default 40, true defocus uniform in -10..+10 um) on slides not used to train the model, then the estimate compute
 * time on full 2592x1944 frames.
 *
 * Prints: median and p95 of the final |defocus| (the simulator's truth), images per focus, estimate compute ms per
 * frame, wall time per focus, and the ratios net/sweep, against the issue's targets. It always names the model it used
 * and whether that is the shipped model.
 *
 * Usage: npm run bench:autofocus -- [options]   (`-- --help` lists them with their defaults), e.g.
 *          [--n 40] [--seed 1] [--setup 20x|40x] [--model <id|path>] [--slides <dir|list|a,b>] [--net-only] [--json]
 *          [--pixel-pitch <um>]   (another camera behind the objective: frames at another pixel size than the model's)
 *          [--jpeg <quality>] [--mono]   (every frame through JPEG at that quality, as many labs store stacks, and/or
 *          as a monochrome camera gives it: bench/camera-output.ts)
 *          [--bit-depth 8|12|16]   (12 and 16 bits: linear light, as scientific cameras give it)
 *          [--lamp <K>] [--exposure <factor>]   (another lamp behind a camera balanced for 3200 K; another exposure)
 *          [--white-reference [--keep-exposure]]   (balanced by a white reference taken first on blank glass, as the
 *          app's operator takes it: autofocus/white-reference.ts)
 *        npm run bench:autofocus -- --oracle 0.1 [--timing-model <id|path>] ...   (no model: the simulator's truth +
 *          noise per patch, to check the loop; the compute timing then needs a network given by --timing-model)
 *        npm run bench:autofocus -- --content [--json]     (content-filter measurements, see bench/autofocus-content.ts)
 *        npm run bench:autofocus -- --pair [--json]        (the near-focus pair and its readings check, bench/autofocus-pair.ts)
 *
 * Slides: --slides, else the held-out slides listed in docs/training.md, else every slide in the shared slide folder
 * minus the slides the model card says it was trained on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import sharp from 'sharp';
import { createVirtualMicroscope, type VirtualMicroscope } from '../src/hardware/sim';
import type { Camera, Frame } from '../src/hardware/types';
import { estimateFrame, OnnxPredictor, type DefocusPredictor } from '../src/main/autofocus/estimate';
import { runAutofocus, type RunTrace } from '../src/main/autofocus/loop';
import { moveBacklashAware } from '../src/main/autofocus/move';
import { takeWhiteReference, whiteGains, type TakenReference } from '../src/main/autofocus/white-reference';
import { sideHandling } from '../src/main/autofocus/side';
import { mulberry32 } from '../src/main/autofocus/random';
import { truthPredictor } from '../src/main/autofocus/truth-predictor';
import { InferenceEngine, ModelRegistry, readModelCard } from '../src/main/inference';
import { appRoot, shippedModelsDir, userModelsDir } from '../src/main/paths';
import { AutofocusSettings, DEFAULT_AUTOFOCUS_SETTINGS, type WhiteReference } from '../src/shared/autofocus';
import type { ModelCard } from '../src/shared/model-card';
import {
  depthOfFieldUm,
  SETUP_PRESETS,
  type CameraModelOptions,
  type OpticalSetup,
  type SetupPresetId,
} from '../src/shared/optics';
import { cameraUnderLamp } from '../src/hardware/optics/randomize';
import { imageCauses, summariseCauses, type ImageCauses } from './autofocus-causes';
import { runContentBench } from './autofocus-content';
import { jpegRoundTrip, monochromeFrame, outputCamera } from './camera-output';
import { runPairBench } from './autofocus-pair';
import { integerArg, numberArg } from './cli-args';

interface Roi {
  width: number;
  height: number;
}

interface Options {
  n: number;
  seed: number;
  setup: SetupPresetId;
  model?: string;
  slides?: string;
  roi: Roi | 'full';
  realtime?: boolean;
  repeats: number;
  threads: number;
  maxPatches: number;
  tolerance: number;
  pixelPitch?: number;
  bitDepth: 8 | 12 | 16;
  jpeg?: number;
  mono?: boolean;
  lamp?: number;
  exposure: number;
  whiteReference?: boolean;
  keepExposure?: boolean;
  netOnly?: boolean;
  /** false with --no-timing. */
  timing: boolean;
  timingOnly?: boolean;
  oracle?: number;
  timingModel?: string;
  trace?: boolean;
  json?: boolean;
  content?: boolean;
  pair?: boolean;
}

const program = new Command()
  .name('bench:autofocus')
  .description(
    'Autofocus benchmark on the virtual microscope: the network method and the classic sweep on the SAME random ' +
      'starts (true defocus uniform in -10..+10 um) on slides not used to train the model, then the estimate ' +
      'compute time on full 2592x1944 frames. Prints the median and p95 of the final |defocus|, images per focus, ' +
      'compute ms per frame and wall time per focus, and the ratios net/sweep, against the targets.',
  )
  .option('--n <count>', 'random starts', integerArg(1), 40)
  .option('--seed <int>', 'seed of the starts (and of the simulator)', integerArg(), 1)
  .addOption(
    new Option('--setup <id>', 'optical setup preset')
      .choices(Object.keys(SETUP_PRESETS) as SetupPresetId[])
      .default('20x'),
  )
  .option('--model <id|path>', "model to run (default: the registry's model for the setup, ldse-net-<setup> first)")
  .option(
    '--slides <dir|list|a,b>',
    'slides: a folder, a file listing slide names or paths, or comma-separated names (default: see "Slides" below)',
  )
  .addOption(
    new Option('--roi <WxH|full>', 'frame size of the runs, clamped to the sensor; "full" for the full sensor')
      .argParser((v): Roi | 'full' => {
        if (v === 'full') return v;
        const m = /^(\d+)x(\d+)$/.exec(v);
        if (!m) throw new InvalidArgumentError('Expected WxH (e.g. 1280x960) or full.');
        return { width: Number(m[1]), height: Number(m[2]) };
      })
      .default({ width: 1280, height: 960 }, '1280x960'),
  )
  .option('--realtime', 'stage moves and exposures take real time (default: instant)')
  .option('--net-only', 'skip the sweep: for trying loop changes quickly; the figures to report need both')
  .option(
    '--tolerance <um>',
    "the run's tolerance: how closely a near-focus pair must settle the focus",
    numberArg(0, 10, { above: true }),
    DEFAULT_AUTOFOCUS_SETTINGS.toleranceUm,
  )
  .option(
    '--max-patches <count>',
    'most patches inferred per frame',
    integerArg(1, 512),
    DEFAULT_AUTOFOCUS_SETTINGS.maxPatches,
  )
  .option(
    '--pixel-pitch <um>',
    "another camera behind the objective (e.g. 6.5 for a common sCMOS): frames at another pixel size than the model's",
    numberArg(0, Infinity, { above: true }),
  )
  .option(
    '--bit-depth <bits>',
    "the camera's bits: 12 or 16 give linear light, as scientific cameras do (the preset's 8 give sRGB)",
    (v: string) => {
      if (!['8', '12', '16'].includes(v)) throw new InvalidArgumentError('8, 12 or 16');
      return Number(v) as 8 | 12 | 16;
    },
    8,
  )
  .option(
    '--jpeg <quality>',
    'every frame through JPEG at this quality (1..100), as many labs store stacks (bench/camera-output.ts)',
    integerArg(1, 100),
  )
  .option('--mono', 'every frame as a monochrome camera gives it (bench/camera-output.ts)')
  .option(
    '--lamp <kelvin>',
    'a lamp at this colour temperature behind a camera white-balanced for 3200 K (a white LED without white balance: 5000-6500)',
    numberArg(1000, 20_000),
  )
  .option(
    '--white-reference',
    'balance every frame by a white reference taken first on blank glass, as an operator does (autofocus/white-reference.ts)',
  )
  .option('--keep-exposure', "with --white-reference: balance by gains alone, keeping the camera's exposure")
  .option(
    '--exposure <factor>',
    "the camera's exposure times this factor (0.25: a quarter of the light; above ~1.5 the glass clips)",
    numberArg(0, 10, { above: true }),
    1,
  )
  .option(
    '--oracle <sigma>',
    "no model: the simulator's true defocus + Gaussian noise of this sigma (um) per patch, to check the loop",
    numberArg(0),
  )
  .option(
    '--timing-model <id|path>',
    'network for the compute timing (needed with --oracle; an untrained LDSE-NET costs the same)',
  )
  .option('--no-timing', 'skip the estimate compute timing')
  .option('--timing-only', 'only the estimate compute timing (no starts)')
  .option('--repeats <count>', 'timed frames in the compute timing', integerArg(1), 10)
  .option('--threads <count>', 'onnxruntime threads', integerArg(1), 2)
  .option('--trace', "print each network run's reads (true:read defocus) and moves")
  .option('--json', 'print the report as JSON on stdout (no progress lines)')
  .option('--content', 'instead: the content-filter measurements (bench/autofocus-content.ts); takes --json')
  .option('--pair', 'instead: the near-focus pair and its readings check (bench/autofocus-pair.ts); takes --json')
  .addHelpText(
    'after',
    `
Slides: --slides, else the held-out slides listed in docs/training.md, else every
slide in the shared slide folder minus the slides the model card says it was
trained on.

Examples:
  npm run bench:autofocus -- --n 40 --setup 40x
  npm run bench:autofocus -- --oracle 0.1 --timing-model <id|path>
  npm run bench:autofocus -- --content --json`,
  );
const opts = program.parse().opts<Options>();

const SHARED_SLIDES = path.resolve(appRoot(), '..', 'shared', 'data', 'slides');
const SLIDE_RE = /\.(png|jpe?g|tiff?)$/i;
const TARGETS = { medianUm: 0.25, p95Um: 0.5, netImages: 3, sweepImages: 10, computeMs: 150 };

interface Trial {
  slide: string;
  slidePath: string;
  startUm: number;
  xUm: number;
  yUm: number;
}

interface Outcome {
  method: 'net' | 'sweep';
  slide: string;
  startUm: number;
  finalUm: number;
  images: number;
  wallMs: number;
  computeMs: number[];
  decidedBy: string;
  outcome: string;
  fallbackReason: string | null;
  /** Network runs: where the images went (autofocus-causes.ts). */
  causes: ImageCauses | null;
  /** Network runs: whether a frame showed glass between its sample, and whether one gave a hint. */
  glass: { seen: boolean; hint: boolean } | null;
}

function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

function slideFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => SLIDE_RE.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

const stem = (p: string) => path.basename(p).replace(/\.[^.]+$/, '');

/** Held-out slide names from docs/training.md: bullet or comma lists in the section whose heading says "held-out". */
function heldOutFromDocs(): string[] {
  const file = path.join(appRoot(), 'docs', 'training.md');
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  const names: string[] = [];
  let inSection = false;
  for (const line of lines) {
    if (/^#+\s/.test(line)) inSection = /held[- ]?out/i.test(line);
    else if (inSection)
      for (const m of line.matchAll(/[A-Za-z0-9_.-]+\.(?:png|jpe?g|tiff?)|`([^`]+)`/g)) names.push(stem(m[1] ?? m[0]));
  }
  return [...new Set(names)];
}

function chooseSlides(card: ModelCard | null): { files: string[]; why: string } {
  const given = opts.slides;
  const pool = fs.existsSync(SHARED_SLIDES)
    ? slideFiles(SHARED_SLIDES)
    : slideFiles(path.join(appRoot(), 'resources', 'slides'));
  if (given) {
    if (fs.existsSync(given) && fs.statSync(given).isDirectory())
      return { files: slideFiles(given), why: `--slides ${given}` };
    const names = fs.existsSync(given)
      ? fs
          .readFileSync(given, 'utf8')
          .split(/\r?\n/)
          .map((l) => l.replace(/#.*/, '').trim())
          .filter(Boolean)
      : given.split(',').map((s) => s.trim());
    const files = names
      .map((n) => (fs.existsSync(n) ? path.resolve(n) : pool.find((p) => stem(p) === stem(n))))
      .filter((f): f is string => !!f);
    if (files.length !== names.length)
      throw new Error(
        `--slides: not found: ${names.filter((n) => !pool.some((p) => stem(p) === stem(n)) && !fs.existsSync(n)).join(', ')}`,
      );
    return { files, why: `--slides ${given}` };
  }
  const docs = heldOutFromDocs();
  const fromDocs = pool.filter((p) => docs.includes(stem(p)));
  if (fromDocs.length) return { files: fromDocs, why: 'held-out slides named in docs/training.md' };
  const trained = new Set((card?.training.dataset.train_slides ?? []).map(stem));
  const unseen = pool.filter((p) => !trained.has(stem(p)) && !/unstained|BF_/i.test(stem(p)));
  return {
    files: unseen,
    why: trained.size
      ? `every stained slide in ${path.dirname(pool[0])} minus the ${trained.size} the model card lists as training slides`
      : `every stained slide in ${path.dirname(pool[0])} (the model card lists no training slides)`,
  };
}

async function chooseModel(registry: ModelRegistry, setup: SetupPresetId): Promise<string> {
  const given = opts.model;
  if (given) return given;
  const entries = (await registry.list()).filter((e) => e.valid && e.card?.optics.setup_id === setup);
  entries.sort((a, b) => Number(b.id === `ldse-net-${setup}`) - Number(a.id === `ldse-net-${setup}`));
  if (!entries.length) {
    throw new Error(
      `no model for setup ${setup} in ${registry.dirs.join(', ')}: train one (training/README.md) or pass --model <id|path>`,
    );
  }
  return entries[0].id;
}

/** The setup's preset with the camera's `--bit-depth` (12 and 16 bits: linear light, inference/encoding.ts). */
function presetWithBits(setup: SetupPresetId): OpticalSetup {
  const preset = SETUP_PRESETS[setup];
  return opts.bitDepth === preset.bitDepth ? preset : { ...preset, bitDepth: opts.bitDepth };
}

/**
 * The setup with another camera behind the same objective (`--pixel-pitch <um>`: e.g. 6.5 for a common sCMOS), so
 * that the frames' pixel size differs from the model's and the estimate resamples them.
 */
function cameraSetup(setup: SetupPresetId): OpticalSetup {
  const base = presetWithBits(setup);
  const um = opts.pixelPitch; // validated by the option's parser: a positive number
  if (um === undefined) return base;
  return { ...base, pixelPitchUm: um, camera: `${base.camera}, with ${um} um pixels instead` };
}

/**
 * The virtual camera's exposure and white balance: `--exposure` scales the default exposure, `--lamp` puts a lamp of
 * another colour temperature behind a camera balanced for our renderers' 3200 K (randomize.ts's black body).
 */
function cameraModel(setup: OpticalSetup, reference?: WhiteReference): CameraModelOptions {
  const camera = cameraUnderLamp(setup.wavelengthsUm, opts.lamp, opts.exposure);
  // the exposure the white reference left the camera at (it sets one for the glass unless --keep-exposure)
  return reference ? { ...camera, exposureMs: reference.exposureMs } : camera;
}

/** --roi clamped to the setup's sensor; undefined for the full sensor. */
function clampRoi(setup: SetupPresetId): Roi | undefined {
  if (opts.roi === 'full') return undefined;
  const s = SETUP_PRESETS[setup];
  return { width: Math.min(opts.roi.width, s.sensorWidthPx), height: Math.min(opts.roi.height, s.sensorHeightPx) };
}

/**
 * --white-reference: the camera's view of blank glass (a white slide, as an operator finds an empty area of theirs)
 * through the same camera, taken as the app takes it (the exposure set for the glass unless --keep-exposure), for
 * the runs' camera and estimates.
 */
async function benchWhiteReference(
  setup: OpticalSetup,
  roi: Roi | undefined,
  seed: number,
): Promise<TakenReference | undefined> {
  if (!opts.whiteReference) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-white-'));
  const glass = path.join(dir, 'glass.png');
  await sharp({ create: { width: 512, height: 512, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .png()
    .toFile(glass);
  const vm = await createVirtualMicroscope({
    setup,
    camera: cameraModel(setup),
    slidePath: glass,
    roi,
    timeScale: 0,
    seed,
  });
  try {
    return await takeWhiteReference(realOutput(vm.camera), !opts.keepExposure);
  } finally {
    await vm.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runTrial(
  vm: VirtualMicroscope,
  t: Trial,
  method: 'net' | 'sweep',
  predictor: DefocusPredictor,
  whiteReference?: WhiteReference,
): Promise<Outcome> {
  await vm.xyStage.moveTo({ xUm: t.xUm, yUm: t.yUm });
  // Same start for both methods, reached the same way (from below), so backlash treats them alike.
  await moveBacklashAware(vm.zStage, vm.truth().zFocusUm + t.startUm);
  const computeMs: number[] = [];
  const t0 = performance.now();
  const trace: RunTrace = await runAutofocus({
    devices: { camera: realOutput(vm.camera), zStage: vm.zStage },
    settings: AutofocusSettings.parse({ maxPatches: opts.maxPatches, toleranceUm: opts.tolerance }),
    method,
    estimate: async (f: Frame) => {
      const e = await estimateFrame(f, predictor, { maxPatches: opts.maxPatches, whiteReference });
      computeMs.push(e.computeMs);
      return e;
    },
    ...sideHandling(predictor.card, opts.tolerance),
    depthOfFieldUm: depthOfFieldUm(vm.setup),
  });
  if (opts.trace && method === 'net') {
    // Where each estimate was taken (true defocus there) and what it read, then the moves: to see how a run went.
    const focus = vm.truth().zFocusUm;
    const reads = trace.estimates.map(
      (e) => `${(e.zUm - focus).toFixed(2)}:${e.estimate.defocusUm === null ? '-' : e.estimate.defocusUm.toFixed(2)}`,
    );
    const moves = trace.moves.map((m) => `${m.by} ${(m.fromUm - focus).toFixed(2)}->${(m.toUm - focus).toFixed(2)}`);
    // The finishing planes (true defocus: relative sharpness) and how the run ended.
    const withGlass = trace.estimates.find((e) => e.estimate.glass)?.estimate;
    const glass = withGlass?.glass;
    const top = Math.max(...(trace.curve ?? []).map((p) => p.sharpness));
    const planes = (trace.curve ?? []).map((p) => `${(p.z - focus).toFixed(2)}:${(p.sharpness / top).toFixed(2)}`);
    process.stderr.write(
      `      reads (true:read) ${reads.join(' ')}; moves ${moves.join(', ')}\n` +
        (planes.length ? `      planes (true:sharpness) ${planes.join(' ')}\n` : '') +
        (glass
          ? `      glass in view: ${glass.tiles} tiles, linear ${glass.rgb.join(' / ')}, gains ${glass.gains.join(' / ')}${withGlass?.hint ? ' (hint)' : ''}\n`
          : '') +
        `      ${trace.message}\n`,
    );
  }
  return {
    method,
    slide: t.slide,
    startUm: t.startUm,
    finalUm: vm.truth().defocusUm,
    images: trace.images,
    wallMs: performance.now() - t0,
    computeMs,
    decidedBy: trace.decidedBy,
    outcome: trace.outcome,
    fallbackReason: trace.fallbackReason,
    causes: imageCauses(trace, vm.truth().zFocusUm),
    glass: method === 'net' ? glassOfRun(trace) : null,
  };
}

/** Whether a frame of the run showed glass between its sample, and whether one gave a hint (autofocus/glass-in-view.ts). */
function glassOfRun(trace: RunTrace): Outcome['glass'] {
  const estimates = trace.estimates.map((e) => e.estimate);
  return { seen: estimates.some((e) => e.glass), hint: estimates.some((e) => e.hint) };
}

/** The virtual camera as real ones often deliver: monochrome (--mono), then through JPEG (--jpeg Q). */
function realOutput(camera: Camera): Camera {
  const { jpeg, mono } = opts;
  if (!jpeg && !mono) return camera;
  return outputCamera(camera, async (frame) => {
    const grey = mono ? monochromeFrame(frame) : frame;
    return jpeg ? jpegRoundTrip(grey, jpeg) : grey;
  });
}

/** A 2592x1944 frame at the model's pixel size: a sensor-sized render of the setup, mirror-extended if the sensor is smaller. */
function toFullFrame(f: Frame, width = 2592, height = 1944): Frame {
  const c = f.channels;
  const data = f.data instanceof Uint16Array ? new Uint16Array(width * height * c) : new Uint8Array(width * height * c);
  const mirror = (i: number, n: number) => {
    const p = i % (2 * n);
    return p < n ? p : 2 * n - 1 - p;
  };
  for (let y = 0; y < height; y++) {
    const sy = mirror(y, f.height);
    for (let x = 0; x < width; x++) {
      const sx = mirror(x, f.width);
      for (let k = 0; k < c; k++) data[(y * width + x) * c + k] = f.data[(sy * f.width + sx) * c + k];
    }
  }
  return { ...f, width, height, data };
}

interface ComputeTiming {
  frames: number;
  width: number;
  height: number;
  tiles: number;
  used: number;
  wallMsMedian: number;
  wallMsMin: number;
  cpuMsMedian: number;
  inferMsMedian: number;
  loadAverage: number;
}

async function timeEstimate(
  setup: SetupPresetId,
  slidePath: string,
  predictor: DefocusPredictor,
  repeats: number,
  whiteReference?: WhiteReference,
): Promise<ComputeTiming> {
  const s = SETUP_PRESETS[setup];
  const optics = presetWithBits(setup); // a wider camera's linear frames cost the sRGB curve on top
  const vm = await createVirtualMicroscope({
    setup: optics,
    camera: cameraModel(optics, whiteReference), // --lamp / --exposure; --white-reference: its balancing is timed too
    slidePath,
    roi: { width: Math.min(2592, s.sensorWidthPx), height: Math.min(1944, s.sensorHeightPx) },
    timeScale: 0,
    zStart: 2,
    seed: 5,
  });
  try {
    const frame = toFullFrame(await vm.camera.snap());
    let inferMs = 0;
    const timed: DefocusPredictor = {
      modelId: predictor.modelId,
      spec: predictor.spec,
      card: predictor.card,
      async predict(req) {
        const t0 = performance.now();
        const out = await predictor.predict(req);
        inferMs = performance.now() - t0;
        return out;
      },
    };
    await estimateFrame(frame, timed, { maxPatches: opts.maxPatches, whiteReference }); // warm-up: JIT and onnxruntime buffers for this batch size
    const wall: number[] = [];
    const cpu: number[] = [];
    const infer: number[] = [];
    let last = { tiles: 0, used: 0 };
    for (let r = 0; r < repeats; r++) {
      const c0 = process.cpuUsage();
      const e = await estimateFrame(frame, timed, { maxPatches: opts.maxPatches, whiteReference });
      const c = process.cpuUsage(c0);
      wall.push(e.computeMs);
      cpu.push((c.user + c.system) / 1000);
      infer.push(inferMs);
      last = { tiles: e.patchesTotal, used: e.patchesUsed };
    }
    return {
      frames: repeats,
      width: frame.width,
      height: frame.height,
      tiles: last.tiles,
      used: last.used,
      wallMsMedian: quantile(wall, 0.5),
      wallMsMin: Math.min(...wall),
      cpuMsMedian: quantile(cpu, 0.5),
      inferMsMedian: quantile(infer, 0.5),
      loadAverage: os.loadavg()[0],
    };
  } finally {
    await vm.dispose();
  }
}

function summarise(rows: Outcome[]) {
  const finals = rows.map((r) => Math.abs(r.finalUm));
  return {
    n: rows.length,
    medianFinalUm: quantile(finals, 0.5),
    p95FinalUm: quantile(finals, 0.95),
    maxFinalUm: Math.max(...finals),
    imagesPerFocus: mean(rows.map((r) => r.images)),
    computeMsPerFrame: quantile(
      rows.flatMap((r) => r.computeMs),
      0.5,
    ),
    wallMsPerFocus: quantile(
      rows.map((r) => r.wallMs),
      0.5,
    ),
    fallbacks: rows.filter((r) => r.decidedBy === 'net+fallback').length,
    glassSeen: rows.filter((r) => r.glass?.seen).length,
    glassHints: rows.filter((r) => r.glass?.hint).length,
    outcomes: rows.reduce<Record<string, number>>((a, r) => ((a[r.outcome] = (a[r.outcome] ?? 0) + 1), a), {}),
  };
}

async function main(): Promise<void> {
  if (opts.content) return runContentBench({ json: !!opts.json });
  if (opts.pair) return runPairBench({ json: !!opts.json });
  const n = opts.timingOnly ? 0 : opts.n;
  const { seed, setup } = opts; // --setup is one of SETUP_PRESETS (the option's choices)
  const registry = new ModelRegistry([userModelsDir(), shippedModelsDir()]);
  const oracle = opts.oracle;
  let card: ModelCard | null = null;
  let cardPath = '';
  let shipped = false;
  let modelLine: string;
  let engine: InferenceEngine | null = null;
  let predictor: DefocusPredictor;
  if (oracle !== undefined) {
    const sigma = oracle; // validated by the option's parser: a number >= 0
    predictor = truthPredictor({ modelId: `oracle(sigma=${sigma})`, setup, sigmaUm: sigma, seed: seed ^ 0x0ac1e });
    modelLine = `model: NONE - ORACLE predictor (the simulator's true defocus + Gaussian noise sigma ${sigma} um per patch): this checks the loop, not a network`;
  } else {
    const modelRef = await chooseModel(registry, setup);
    cardPath = await registry.resolve(modelRef);
    card = await readModelCard(cardPath);
    shipped =
      path.resolve(path.dirname(cardPath)) === path.resolve(shippedModelsDir()) && card.id === `ldse-net-${setup}`;
    modelLine = `model: ${card.id} (${card.architecture}, ${card.optics.setup_id}, ${card.optics.pixel_size_um} um/px, test RMSE ${card.metrics.test_rmse_um ?? '?'} um) from ${cardPath}${shipped ? ' [the shipped model]' : ' [NOT the shipped model: a development model]'}`;
    engine = await InferenceEngine.create({ threads: opts.threads, registry });
    predictor = new OnnxPredictor(engine, await engine.load(cardPath));
  }
  const { files: slides, why } = chooseSlides(card);
  if (!slides.length) throw new Error('no slide to benchmark on');
  const roi = clampRoi(setup);
  const camera = cameraSetup(setup);
  const log = (s: string) => !opts.json && process.stderr.write(`${s}\n`);
  log(modelLine);
  log(`slides (${why}): ${slides.map(stem).join(', ')}`);
  const jpeg = opts.jpeg; // validated by the option's parser: an integer quality 1..100
  log(
    `frames: ${roi ? `${roi.width}x${roi.height} ROI` : 'full sensor'} of the ${setup} setup${opts.pixelPitch !== undefined ? ` with ${camera.pixelPitchUm} um camera pixels (${(camera.pixelPitchUm / camera.magnification).toFixed(4)} um/px)` : ''}${opts.bitDepth !== 8 ? `, ${opts.bitDepth}-bit linear` : ''}${opts.lamp !== undefined ? `, a ${opts.lamp} K lamp (white balance for 3200 K)` : ''}${opts.exposure !== 1 ? `, exposure x${opts.exposure}` : ''}${opts.mono ? ', monochrome' : ''}${jpeg ? `, each through JPEG at quality ${jpeg}` : ''}; ${n} starts, seed ${seed}`,
  );

  const taken = await benchWhiteReference(camera, roi, seed);
  const whiteReference = taken?.reference;
  if (taken) {
    const g = whiteGains(taken.reference, taken.reference.exposureMs);
    const exposure = taken.exposure
      ? `exposure ${taken.exposure.fromMs} -> ${taken.exposure.toMs.toFixed(2)} ms; `
      : '';
    log(
      `white reference: ${exposure}glass ${taken.reference.glassRgb.join(', ')} (linear); gains R ${g[0].toFixed(3)}, G ${g[1].toFixed(3)}, B ${g[2].toFixed(3)}`,
    );
  }
  const rng = mulberry32(seed);
  const trials: Trial[] = Array.from({ length: n }, (_, i) => ({
    slidePath: slides[i % slides.length],
    slide: stem(slides[i % slides.length]),
    startUm: -10 + 20 * rng(),
    xUm: (rng() - 0.5) * 150,
    yUm: (rng() - 0.5) * 150,
  }));
  const methods = opts.netOnly ? (['net'] as const) : (['net', 'sweep'] as const);
  const results: Outcome[] = [];
  const t0 = performance.now();
  for (const slidePath of slides) {
    const mine = trials.filter((t) => t.slidePath === slidePath);
    if (!mine.length) continue;
    const vm = await createVirtualMicroscope({
      setup: camera,
      camera: cameraModel(camera, whiteReference),
      slidePath,
      roi,
      timeScale: opts.realtime ? 1 : 0,
      zFocusUm: 0,
      seed,
    });
    try {
      for (const t of mine) {
        for (const method of methods) {
          const r = await runTrial(vm, t, method, predictor, whiteReference);
          results.push(r);
          log(
            `${String(results.length).padStart(3)}/${methods.length * n} ${t.slide.slice(0, 28).padEnd(28)} ${method.padEnd(5)} start ${t.startUm.toFixed(2).padStart(6)} -> ${r.finalUm.toFixed(3).padStart(7)} um, ${String(r.images).padStart(2)} images, ${r.decidedBy}${r.fallbackReason ? ` (${r.fallbackReason})` : ''}`,
          );
        }
      }
    } finally {
      await vm.dispose();
    }
  }
  const loopS = (performance.now() - t0) / 1000;
  // Compute timing needs a real network: the chosen model, or --timing-model (an untrained LDSE-NET costs the same).
  let timingPredictor: DefocusPredictor | null = oracle === undefined ? predictor : null;
  const timingModel = opts.timingModel;
  if (timingModel) {
    engine ??= await InferenceEngine.create({ threads: opts.threads, registry });
    timingPredictor = new OnnxPredictor(engine, await engine.load(timingModel));
  }
  const timing =
    !opts.timing || !timingPredictor
      ? null
      : await timeEstimate(setup, slides[0], timingPredictor, opts.repeats, whiteReference);
  await engine?.close();

  const net = summarise(results.filter((r) => r.method === 'net'));
  const causes = summariseCauses(results.flatMap((r) => (r.causes ? [r.causes] : [])));
  const sweep = summarise(results.filter((r) => r.method === 'sweep'));
  const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
  const checks = {
    netMedian: net.medianFinalUm <= TARGETS.medianUm,
    netP95: net.p95FinalUm <= TARGETS.p95Um,
    netImages: net.imagesPerFocus <= TARGETS.netImages,
    sweepImages: methods.length > 1 ? sweep.imagesPerFocus >= TARGETS.sweepImages : null,
    compute: timing ? timing.wallMsMedian <= TARGETS.computeMs : null,
  };
  const report = {
    model: card
      ? { id: card.id, path: cardPath, shipped, architecture: card.architecture, setup: card.optics.setup_id }
      : { id: `oracle(sigma=${oracle})`, path: null, shipped: false, architecture: 'oracle', setup },
    setup,
    slides: slides.map(stem),
    slideSelection: why,
    roi: roi ?? 'full',
    n,
    seed,
    net,
    sweep,
    imageCauses: causes,
    ratios: {
      medianFinal: ratio(net.medianFinalUm, sweep.medianFinalUm),
      p95Final: ratio(net.p95FinalUm, sweep.p95FinalUm),
      images: ratio(net.imagesPerFocus, sweep.imagesPerFocus),
      wall: ratio(net.wallMsPerFocus, sweep.wallMsPerFocus),
    },
    computeTiming: timing,
    targets: TARGETS,
    checks,
    loopSeconds: loopS,
    machine: { cpus: os.cpus().length, loadAverage: os.loadavg() },
    trials: results,
  };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '—');
  const ok = (b: boolean | null) => (b === null ? '' : b ? 'ok' : 'MISS');
  const lines = [
    '',
    modelLine,
    `slides: ${slides.map(stem).join(', ')} (${why})`,
    `${n} starts in -10..+10 um, ${roi ? `${roi.width}x${roi.height}` : 'full-sensor'} frames, stage ${opts.realtime ? 'real-time' : 'instant'}, tolerance ${opts.tolerance} um; loop ${loopS.toFixed(0)} s on ${os.cpus().length} cores (load ${os.loadavg()[0].toFixed(1)})`,
    '',
    `                          network     sweep   net/sweep   target`,
    `median final |d| (um)  ${f(net.medianFinalUm).padStart(9)} ${f(sweep.medianFinalUm).padStart(9)} ${f(report.ratios.medianFinal, 2).padStart(11)}   net <= ${TARGETS.medianUm} ${ok(checks.netMedian)}`,
    `p95 final |d| (um)     ${f(net.p95FinalUm).padStart(9)} ${f(sweep.p95FinalUm).padStart(9)} ${f(report.ratios.p95Final, 2).padStart(11)}   net <= ${TARGETS.p95Um} ${ok(checks.netP95)}`,
    `max final |d| (um)     ${f(net.maxFinalUm).padStart(9)} ${f(sweep.maxFinalUm).padStart(9)}`,
    `images per focus       ${f(net.imagesPerFocus, 2).padStart(9)} ${f(sweep.imagesPerFocus, 2).padStart(9)} ${f(report.ratios.images, 2).padStart(11)}   net <= ${TARGETS.netImages} ${ok(checks.netImages)}, sweep >= ${TARGETS.sweepImages} ${ok(checks.sweepImages)}`,
    `compute ms per frame   ${f(net.computeMsPerFrame, 1).padStart(9)} ${'—'.padStart(9)}                (estimate only, loop frames)`,
    `wall s per focus       ${f(net.wallMsPerFocus / 1000, 2).padStart(9)} ${f(sweep.wallMsPerFocus / 1000, 2).padStart(9)} ${f(report.ratios.wall, 2).padStart(11)}   (rendering included)`,
    `fallbacks              ${String(net.fallbacks).padStart(9)}`,
    `glass in view          ${String(net.glassSeen).padStart(9)} runs saw glass (frames read within 3 um); ${net.glassHints} gave the white-reference hint${opts.whiteReference ? ' (none with a reference)' : ''}`,
    `outcomes               net ${JSON.stringify(net.outcomes)}, sweep ${JSON.stringify(sweep.outcomes)}`,
    `net images, by cause   ${f(causes.leastPerFocus, 2)} the least a right reading needs + ${f(causes.afterWrongFirstSide, 2)} net moves after a wrong first side (${causes.wrongFirstSideRuns} runs)`,
    `                       + ${f(causes.otherNetMoves, 2)} other net moves + ${f(causes.finishingPlanes, 2)} finishing planes beyond a settled pair = ${f(causes.imagesPerFocus, 2)} per focus`,
  ];
  if (!timing) {
    lines.push(
      '',
      `estimate compute: not timed (${!opts.timing ? '--no-timing' : 'no network: pass --timing-model <id|path> with --oracle'})`,
    );
  }
  if (timing) {
    lines.push(
      '',
      `estimate compute (model ${timingPredictor!.modelId}) on ${timing.width}x${timing.height} frames (${timing.tiles} tiles, ${timing.used} inferred), ${timing.frames} repeats: median ${f(timing.wallMsMedian, 1)} ms wall (min ${f(timing.wallMsMin, 1)}), ${f(timing.cpuMsMedian, 1)} ms CPU (all threads), inference ${f(timing.inferMsMedian, 1)} ms; target <= ${TARGETS.computeMs} ms ${ok(checks.compute)} (load average ${timing.loadAverage.toFixed(1)})`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench:autofocus: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
