/**
 * Store-path benchmark: encode + sha256 + atomic write (temp + fsync + rename) + row insert (WAL, synchronous=FULL
 * as during acquisition) for 2592x1944 8-bit RGB frames, per stored format. Target: >= 10 frames/s on 2 cores.
 *
 *   npm run bench:store -- [--frames 16] [--concurrency 1,2] [--formats png1,tiff-none] [--engine 1,2] [--json]
 *   (`-- --help` lists the options with their defaults)
 *
 * --engine D1,D2 (default 1,2; "none" to skip) also measures the ENGINE path: acquire() on a zero-latency camera and
 * stage (a frame is ready the moment it is asked for, moves take no time), so frames/s is what the software sustains
 * end to end - sharpness metrics, encode, hash, atomic write, ordered commits with the resume cursor - with D planes
 * stored while the next ones are captured (STORE_DEPTH = 2 in the app).
 *
 * Frames are a real H&E slide image (shared/data/slides) resized to the sensor, with fresh shot noise per frame,
 * so compression sees realistic content. Runs on a fresh dataset under test-output/bench-store/ (deleted after).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import sharp from 'sharp';
import type { Frame } from '../src/hardware/types';
import { acquire } from '../src/main/acquisition/engine';
import { storePlane } from '../src/main/acquisition/storePlane';
import type { AxisLimits, Camera, CameraInfo, XYPosition, XYStage, ZStage } from '../src/hardware/types';
import type { EncodeOptions } from '../src/main/dataset/codec';
import { openDataset, withDurableCommits } from '../src/main/dataset/db';
import { upsertSetup } from '../src/main/dataset/repo/setups';
import { createSlide } from '../src/main/dataset/repo/slides';
import { createStack } from '../src/main/dataset/repo/stacks';
import { integerArg, integerListArg } from './cli-args';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const W = 2592;
const H = 1944;

const FORMATS: Record<string, EncodeOptions> = {
  png0: { format: 'png', pngLevel: 0 },
  png1: { format: 'png', pngLevel: 1 },
  png3: { format: 'png', pngLevel: 3 },
  png6: { format: 'png', pngLevel: 6 },
  'tiff-none': { format: 'tiff', tiffCompression: 'none' },
  'tiff-lzw': { format: 'tiff', tiffCompression: 'lzw' },
  'tiff-deflate': { format: 'tiff', tiffCompression: 'deflate' },
};

interface Options {
  frames: number;
  concurrency: number[];
  /** Unset: every format. */
  formats?: string[];
  engine: number[];
  json?: boolean;
}

const program = new Command()
  .name('bench:store')
  .description(
    'Store-path benchmark: encode + sha256 + atomic write + row insert for 2592x1944 8-bit RGB frames, per stored ' +
      'format and concurrency, and the engine path (acquire() on instant devices). Target: >= 10 frames/s on 2 cores.',
  )
  .option('--frames <n>', 'frames per cell', integerArg(1), 16)
  .addOption(
    new Option('--concurrency <list>', 'frames stored in flight, per format (comma-separated)')
      .argParser(integerListArg(1))
      .default([1, 2], '1,2'),
  )
  .option(
    '--formats <list>',
    `stored formats, comma-separated, of ${Object.keys(FORMATS).join(', ')}; "none" for none (only the engine rows) (default: all)`,
    (v) => {
      const names = v.split(',').filter((n) => n !== 'none');
      const unknown = names.filter((n) => !Object.hasOwn(FORMATS, n));
      if (unknown.length) throw new InvalidArgumentError(`Unknown format ${unknown.join(', ')}.`);
      return names;
    },
  )
  .addOption(
    new Option(
      '--engine <list>',
      'engine path at these store depths (planes stored while the next are captured), comma-separated; "none" to skip',
    )
      .argParser((v) => (v === 'none' ? [] : integerListArg(1)(v)))
      .default([1, 2], '1,2'),
  )
  .option('--json', 'print JSON instead of a table');

function slideImage(): string {
  const dir = path.resolve(ROOT, '../shared/data/slides');
  const f = fs.existsSync(dir) ? fs.readdirSync(dir).find((n) => /^HE_.*\.png$/.test(n)) : undefined;
  return f ? path.join(dir, f) : '';
}

/** Camera-like frames: slide content + Poisson-like noise, different per frame. */
async function makeFrames(n: number): Promise<Frame[]> {
  const src = slideImage();
  const base = src
    ? await sharp(src).removeAlpha().resize(W, H, { fit: 'cover' }).toColourspace('srgb').raw().toBuffer()
    : Buffer.alloc(W * H * 3, 180);
  const frames: Frame[] = [];
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  for (let k = 0; k < n; k++) {
    const data = new Uint8Array(base.length);
    for (let i = 0; i < data.length; i++) {
      const v = base[i];
      // Shot + read noise of a decent CMOS at 8 bit: sigma ~ 2 grey levels at 200 (triangular approx. of a normal).
      const noise = (rnd() + rnd() - 1) * Math.sqrt(v * 0.02 + 0.5) * 2.45;
      data[i] = Math.max(0, Math.min(255, Math.round(v + noise)));
    }
    frames.push({
      width: W,
      height: H,
      channels: 3,
      bitDepth: 8,
      data,
      pixelSizeUm: 0.345,
      exposureMs: 10,
      timestamp: Date.now(),
    });
  }
  return frames;
}

interface Row {
  format: string;
  concurrency: number;
  frames: number;
  seconds: number;
  framesPerS: number;
  mbPerFrame: number;
  /** CPU time (user + system, all threads of this process) per frame: load-independent, unlike frames/s. */
  cpuMsPerFrame: number;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function run(
  name: string,
  enc: EncodeOptions,
  frames: Frame[],
  nFrames: number,
  concurrency: number,
): Promise<Row> {
  const dir = path.join(ROOT, 'test-output', 'bench-store', `${name}-${concurrency}-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const ds = openDataset(path.join(dir, 'bench.sqlite'), { create: true });
  try {
    upsertSetup(ds.db, { id: 'bench', name: 'bench', magnification: 20, na: 0.75, pixelSizeUm: 0.345 });
    const slide = createSlide(ds.db, { name: 'bench' });
    const stackId = createStack(ds.db, { slideId: slide.id, setupId: 'bench', source: 'acquired' });
    let bytes = 0;
    const c0 = cpuMs();
    const t0 = process.hrtime.bigint();
    await withDurableCommits(ds.db, async () => {
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < nFrames; i = next++) {
          // A distinct frame each time (plane index in the first bytes) so no two hashes collide.
          const f = frames[i % frames.length];
          const data = new Uint8Array(f.data as Uint8Array);
          data[0] = i & 255;
          data[1] = (i >> 8) & 255;
          await storePlane(ds, { stackId, planeIndex: i, zUm: i * 0.5, frame: { ...f, data }, sharpness: null }, enc);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    for (const r of ds.db.prepare('SELECT bytes FROM images').all() as { bytes: number }[]) bytes += r.bytes;
    return {
      format: name,
      concurrency,
      frames: nFrames,
      seconds,
      framesPerS: nFrames / seconds,
      mbPerFrame: bytes / nFrames / 1e6,
      cpuMsPerFrame: (cpuMs() - c0) / nFrames,
    };
  } finally {
    ds.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A camera whose frame is ready at once: a copy of a prepared frame, made unique so no two hashes collide. */
class InstantCamera implements Camera {
  private n = 0;
  constructor(private readonly frames: Frame[]) {}
  async open() {}
  async close() {}
  isOpen() {
    return true;
  }
  info(): CameraInfo {
    return {
      kind: 'bench',
      name: 'instant',
      width: W,
      height: H,
      channels: 3,
      bitDepth: 8,
      pixelPitchUm: 6.9,
      pixelSizeUm: 0.345,
    };
  }
  getExposureMs() {
    return 10;
  }
  async setExposureMs() {}
  async snap(): Promise<Frame> {
    const i = this.n++;
    const f = this.frames[i % this.frames.length];
    const data = new Uint8Array(f.data as Uint8Array);
    data[0] = i & 255;
    data[1] = (i >> 8) & 255;
    return { ...f, data, timestamp: Date.now() };
  }
}

class InstantZ implements ZStage {
  readonly name = 'instant z';
  private z = 0;
  async connect() {}
  async disconnect() {}
  isConnected() {
    return true;
  }
  limits(): AxisLimits {
    return { minUm: -1e4, maxUm: 1e4 };
  }
  settleMs() {
    return 0;
  }
  async position() {
    return this.z;
  }
  async moveTo(z: number) {
    return (this.z = z);
  }
  async moveBy(d: number) {
    return (this.z += d);
  }
  async isBusy() {
    return false;
  }
  async stop() {}
}

class InstantXY implements XYStage {
  readonly name = 'instant xy';
  private p: XYPosition = { xUm: 0, yUm: 0 };
  async connect() {}
  async disconnect() {}
  isConnected() {
    return true;
  }
  limits() {
    return { x: { minUm: -1e6, maxUm: 1e6 }, y: { minUm: -1e6, maxUm: 1e6 } };
  }
  settleMs() {
    return 0;
  }
  async position() {
    return { ...this.p };
  }
  async moveTo(p: XYPosition) {
    this.p = { ...p };
    return this.position();
  }
  async moveBy(d: XYPosition) {
    return this.moveTo({ xUm: this.p.xUm + d.xUm, yUm: this.p.yUm + d.yUm });
  }
  async isBusy() {
    return false;
  }
  async stop() {}
}

/** acquire() end to end on the instant devices: one stack of nFrames planes, `depth` planes stored in flight. */
async function runEngine(frames: Frame[], nFrames: number, depth: number): Promise<Row> {
  const dir = path.join(ROOT, 'test-output', 'bench-store', `engine-${depth}-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const ds = openDataset(path.join(dir, 'bench.sqlite'), { create: true });
  try {
    upsertSetup(ds.db, { id: 'bench', name: 'bench', magnification: 20, na: 0.75, pixelSizeUm: 0.345 });
    const slide = createSlide(ds.db, { name: 'bench' });
    const c0 = cpuMs();
    const t0 = process.hrtime.bigint();
    const res = await acquire({
      db: ds,
      devices: { camera: new InstantCamera(frames), z: new InstantZ(), xy: new InstantXY() },
      params: {
        slideId: slide.id,
        setupId: 'bench',
        z0Um: 0,
        range: { fromUm: 0, toUm: (nFrames - 1) * 0.5, stepUm: 0.5 },
        overshootUm: 0,
      },
      storeDepth: depth,
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (res.planesStored !== nFrames) throw new Error(`engine stored ${res.planesStored} of ${nFrames} planes`);
    let bytes = 0;
    for (const r of ds.db.prepare('SELECT bytes FROM images').all() as { bytes: number }[]) bytes += r.bytes;
    const cpuMsPerFrame = (cpuMs() - c0) / nFrames;
    return {
      format: 'engine-png0',
      concurrency: depth,
      frames: nFrames,
      seconds,
      framesPerS: nFrames / seconds,
      mbPerFrame: bytes / nFrames / 1e6,
      cpuMsPerFrame,
    };
  } finally {
    ds.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const opts = program.parse().opts<Options>();
  const nFrames = opts.frames;
  const concurrencies = opts.concurrency;
  const names = opts.formats ?? Object.keys(FORMATS);
  const engineDepths = opts.engine;
  const json = !!opts.json;
  const frames = await makeFrames(4);
  const rows: Row[] = [];
  // Warm-up (JIT, sharp/libvips start-up, page cache): the first cell measured ~2x slow without it.
  await run(names[0] ?? 'png0', FORMATS[names[0] ?? 'png0'], frames, 4, 1);
  for (const name of names) {
    for (const c of concurrencies) {
      const r = await run(name, FORMATS[name], frames, nFrames, c);
      rows.push(r);
      if (!json) console.error(`${name} x${c}: ${r.framesPerS.toFixed(1)} frames/s`);
    }
  }
  for (const depth of engineDepths) {
    const r = await runEngine(frames, nFrames, depth);
    rows.push(r);
    if (!json)
      console.error(`engine (acquire on instant devices), depth ${depth}: ${r.framesPerS.toFixed(1)} frames/s`);
  }
  const env = {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    node: process.version,
    sharp: sharp.versions.sharp,
    libvipsThreads: sharp.concurrency(),
    uvThreadpool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
    frame: `${W}x${H} RGB 8-bit`,
    loadAverage: os.loadavg(),
  };
  if (json) {
    console.log(JSON.stringify({ env, rows }, null, 2));
    return;
  }
  console.log(
    `store path, ${env.frame}, ${nFrames} frames per cell, ${env.cpus} cores (${env.cpu}), sharp ${env.sharp}`,
  );
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (other processes share these cores)`,
  );
  console.log(
    'format        conc  frames/s   s/frame   MB/frame  CPU ms/frame  (engine rows: conc = planes stored in flight)',
  );
  for (const r of rows) {
    console.log(
      `${r.format.padEnd(13)} ${String(r.concurrency).padStart(4)}  ${r.framesPerS.toFixed(1).padStart(8)}  ${(1 / r.framesPerS).toFixed(3).padStart(8)}  ${r.mbPerFrame.toFixed(2).padStart(9)}  ${r.cpuMsPerFrame.toFixed(0).padStart(12)}`,
    );
  }
}

await main();
