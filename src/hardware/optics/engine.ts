/**
 * FrameEngine: renders camera frames off the caller's event loop, on up to two worker threads (one per core of
 * the target 2-core machine). Colour frames split by channel: one complex inverse FFT carries two real images, so
 * thread 1 renders R+iG and thread 2 G+iB, and each digitises its own channel plus half of G's rows. Noise streams
 * are per channel and row, so a frame is bit-identical whichever thread (or the calling thread, threads = 0)
 * rendered it.
 *
 * Worker threads load render-worker.ts (spawnWorker: tsx from sources, the render-worker.js entry when bundled). A bundled build must
 * emit render-worker as its own entry next to this file (same base name, .js). If a worker cannot start, the engine
 * falls back to rendering in the calling thread and says so in `threads`.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../../main/workers/spawn-worker';
import type { OpticalSetup } from '../../shared/optics';
import type { DigitisedImage, ResolvedCameraModel } from './camera-model';
import { frameJobs, mergeJobs, renderChannels, type FrameJob, type FrameRequest } from './frame';
import { ImageFormation } from './render';
import type { ResolvedSample } from './sample';
import type { Slide } from './slide';

interface Pending {
  resolve: (planes: (Uint8Array | Uint16Array)[]) => void;
  reject: (e: Error) => void;
}

class RenderThread {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failed: Error | undefined;

  constructor(readonly worker: Worker) {
    worker.on('message', (m: { id: number; planes?: (Uint8Array | Uint16Array)[]; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error || !m.planes) p.reject(new Error(m.error ?? 'render worker returned nothing'));
      else p.resolve(m.planes);
    });
    const fail = (e: Error) => {
      this.failed = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`render worker exited (${code})`)));
  }

  run(job: FrameJob): Promise<(Uint8Array | Uint16Array)[]> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...job });
    });
  }
}

/** Starts render-worker from the TypeScript sources or the bundle (render-worker.js entry) alike. */
function startWorker(workerData: unknown): Worker {
  return spawnWorker(import.meta.url, { source: './render-worker.ts', bundled: 'render-worker.js' }, { workerData });
}

export class FrameEngine {
  private constructor(
    readonly formation: ImageFormation,
    private readonly workers: RenderThread[],
  ) {}

  /** Threads actually rendering (0 = the calling thread). */
  get threads(): number {
    return this.workers.length;
  }

  get geometry() {
    return this.formation.geometry;
  }

  static async create(
    slide: Slide,
    setup: OpticalSetup,
    sample: ResolvedSample,
    opts: { width: number; height: number; marginDefocusUm?: number; threads?: 0 | 1 | 2 },
  ): Promise<FrameEngine> {
    const formation = await ImageFormation.create(slide, setup, sample, opts);
    const want = Math.min(opts.threads ?? 2, formation.geometry.channels.length > 1 ? 2 : 1);
    const workers: RenderThread[] = [];
    if (want > 0) {
      const workerData = {
        raster: formation.raster,
        setup,
        sample,
        width: opts.width,
        height: opts.height,
        marginDefocusUm: opts.marginDefocusUm ?? 10,
      };
      try {
        for (let i = 0; i < want; i++) workers.push(new RenderThread(startWorker(workerData)));
        // one round trip proves the workers can load and render
        await Promise.all(
          workers.map((w) =>
            w.run({ req: { defocusUm: 0, xUm: 0, yUm: 0 }, which: [0], camera: PROBE_CAMERA, bitDepth: 8, seed: 0 }),
          ),
        );
      } catch {
        await Promise.all(workers.map((w) => w.worker.terminate()));
        workers.length = 0;
      }
    }
    return new FrameEngine(formation, workers);
  }

  /** A noisy, quantised frame; identical bytes for identical arguments whatever the thread count. */
  async renderFrame(
    req: FrameRequest,
    camera: ResolvedCameraModel,
    bitDepth: 8 | 12 | 16,
    seed: number,
  ): Promise<DigitisedImage> {
    const g = this.formation.geometry;
    const jobs = frameJobs(g, req, camera, bitDepth, seed);
    let parts: (Uint8Array | Uint16Array)[][];
    if (this.workers.length === 0) {
      parts = jobs.map((j) => renderChannels(this.formation, j.req, j.which, j.camera, j.bitDepth, j.seed, j.rows));
    } else {
      parts = await Promise.all(jobs.map((j, i) => this.workers[i % this.workers.length].run(j)));
    }
    return mergeJobs(g, parts, bitDepth);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.formation.dispose();
  }
}

const PROBE_CAMERA: ResolvedCameraModel = {
  exposureMs: 1,
  electronsPerMsAtWhite: 1000,
  fullWellE: 10000,
  readNoiseE: 0,
  vignetting: 0,
  whiteBalance: [1, 1, 1],
  shotNoise: false,
};
