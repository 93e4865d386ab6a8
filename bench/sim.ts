/**
 * Virtual-microscope frame benchmark: median ms per full RGB frame (optics + camera model: noise, vignetting,
 * quantisation) at several defocus values, for 1280x960 (20X/0.75 preset, 1280x960 ROI of the IMX264) and
 * 2592x1944 (40X/0.65 preset, full 5 MP sensor).
 *
 *   cold  : every frame at a new XY and a new z (object spectra + transfer functions computed; nothing cached)
 *   new-z : same XY, a new z each frame (object spectra cached; transfer functions computed) = jogging Z in live view
 *   warm  : same XY and z as a previous frame (both cached) = live view at rest
 *
 * Usage: npm run bench:sim -- [--frames 7] [--json]   (`-- --help` lists the options)
 */
import os from 'node:os';
import { Command } from 'commander';
import { SETUP_PRESETS, type OpticalSetup } from '../src/shared/optics';
import { resolveCameraModel } from '../src/hardware/optics/camera-model';
import { DEFAULT_SLIDE_PATH } from '../src/hardware/optics/default-slide';
import { FrameEngine } from '../src/hardware/optics/engine';
import { renderFrame } from '../src/hardware/optics/frame';
import { ImageFormation } from '../src/hardware/optics/render';
import { resolveSample } from '../src/hardware/optics/sample';
import { Slide } from '../src/hardware/optics/slide';
import { integerArg } from './cli-args';

const program = new Command()
  .name('bench:sim')
  .description(
    'Virtual-microscope frame benchmark: median ms per full RGB frame (optics + camera model) at several defocus ' +
      'values, for 1280x960 (20x preset) and 2592x1944 (40x preset), cold (new XY and z), new-z (new z) and warm ' +
      '(same XY and z), and the CPU ms of one frame rendered on a single thread.',
  )
  .option('--frames <n>', 'frames per case (at least 3)', integerArg(3), 7)
  .option('--json', 'print JSON instead of a table');
const opts = program.parse().opts<{ frames: number; json?: boolean }>();
const asJson = !!opts.json;
const FRAMES = opts.frames;
const DEFOCI = [-10, -5, -2, -0.5, 0, 0.5, 2, 5, 10];

interface Row {
  frame: string;
  setup: string;
  grid: string;
  threads: number;
  coldMs: number;
  newZMs: number;
  warmMs: number;
  /** CPU time (user+sys) per new-z frame rendered on ONE thread: what an idle core would take. */
  singleThreadCpuMs: number;
  target: string;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function bench(slide: Slide, setup: OpticalSetup, width: number, height: number, target: string): Promise<Row> {
  const sample = resolveSample({ kind: 'stained' });
  const camera = resolveCameraModel({});
  const engine = await FrameEngine.create(slide, setup, sample, { width, height, marginDefocusUm: 10, threads: 2 });
  const frame = async (d: number, x: number) => {
    const t0 = performance.now();
    await engine.renderFrame({ defocusUm: d, xUm: x, yUm: 0 }, camera, 8, 1);
    return performance.now() - t0;
  };
  await frame(0.123, -1000); // JIT warm-up, not counted
  const cold: number[] = [];
  const newZ: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < FRAMES; i++) cold.push(await frame(DEFOCI[i % DEFOCI.length] + 0.01 * (i + 1), 37 * (i + 1)));
  for (let i = 0; i < FRAMES; i++) newZ.push(await frame(DEFOCI[i % DEFOCI.length] + 0.001 * (i + 1), 0));
  for (let i = 0; i < FRAMES; i++) warm.push(await frame(DEFOCI[i % DEFOCI.length] + 0.001 * (i + 1), 0));
  const g = engine.geometry;
  const threads = engine.threads;
  await engine.dispose();
  // one thread, CPU time: independent of other load on the machine
  const f = await ImageFormation.create(slide, setup, sample, { width, height, marginDefocusUm: 10 });
  renderFrame(f, { defocusUm: 0.321, xUm: 0, yUm: 0 }, camera, 8, 1);
  const cpu: number[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const c0 = cpuMs();
    renderFrame(f, { defocusUm: DEFOCI[i % DEFOCI.length] + 0.0001 * (i + 1), xUm: 0, yUm: 0 }, camera, 8, 1);
    cpu.push(cpuMs() - c0);
  }
  f.dispose();
  return {
    frame: `${width}x${height} RGB`,
    setup: setup.id,
    grid: `${g.fftWidth}x${g.fftHeight} @ ${g.gridPitchUm.toFixed(4)} um (${g.mode}${g.mode === 'same' ? '' : ` x${g.factor}`})`,
    threads,
    coldMs: median(cold),
    newZMs: median(newZ),
    warmMs: median(warm),
    singleThreadCpuMs: median(cpu),
    target,
  };
}

const slide = await Slide.load(DEFAULT_SLIDE_PATH);
const rows = [
  await bench(slide, SETUP_PRESETS['20x'], 1280, 960, '<= 150 ms'),
  await bench(slide, SETUP_PRESETS['40x'], 2592, 1944, '<= 1000 ms'),
];
const env = {
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? '?',
  loadAverage1m: os.loadavg()[0],
  framesPerCase: FRAMES,
  defociUm: DEFOCI,
};
if (asJson) {
  console.log(JSON.stringify({ env, rows }, null, 2));
} else {
  console.log(
    `virtual microscope, median ms per frame (${FRAMES} frames per case, d in ${DEFOCI.join(', ')} um); ${env.cpus} CPUs (${env.cpuModel}), load ${env.loadAverage1m.toFixed(2)}`,
  );
  console.table(
    rows.map((r) => ({
      frame: r.frame,
      setup: r.setup,
      'FFT grid': r.grid,
      threads: r.threads,
      'cold ms': r.coldMs.toFixed(0),
      'new-z ms': r.newZMs.toFixed(0),
      'warm ms': r.warmMs.toFixed(0),
      '1-thread CPU ms': r.singleThreadCpuMs.toFixed(0),
      target: r.target,
    })),
  );
  console.log(
    'wall-clock medians on the render threads. cold: new XY + new z (nothing cached); new-z: object spectra cached, transfer functions computed; warm: both cached.',
  );
  console.log(
    '1-thread CPU ms: CPU time of one new-z frame rendered on a single thread (what one idle core needs; not inflated by other load).',
  );
}
