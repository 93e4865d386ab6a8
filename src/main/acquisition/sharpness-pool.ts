/**
 * Sharpness of big planes off the event loop: the luminance is computed here (cheap, and the frame stays with the
 * encoder), then transferred to one worker thread that runs the four metrics. Small frames, or a worker that cannot
 * start (e.g. a bundle without its entry), are computed in this thread: same numbers, same code.
 */
import type { Worker } from 'node:worker_threads';
import type { Sharpness } from '../../shared/dataset';
import type { PixelBuffer } from '../focus/luminance';
import { luminance } from '../focus/luminance';
import { sharpnessOf } from '../focus/metrics';
import { logger } from '../log';
import { spawnWorker } from '../workers/spawn-worker';

/** Frames above this many pixels are measured on every second pixel (the engine's long-standing choice). */
const SUBSAMPLE_ABOVE = 2_000_000;
/** Below this the worker round trip costs more than it saves. */
const WORKER_ABOVE = 1_000_000;

type Pending = { resolve: (s: Sharpness) => void; reject: (e: Error) => void };

let worker: Worker | null = null;
let broken = false;
let nextId = 1;
const pending = new Map<number, Pending>();

function failAll(err: Error) {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

function getWorker(): Worker | null {
  if (worker || broken) return worker;
  try {
    const w = spawnWorker(
      import.meta.url,
      { source: './sharpness-worker.ts', bundled: 'sharpness-worker.js' },
      { name: 'sharpness' },
    );
    w.unref(); // an idle worker never keeps a CLI process alive
    w.on('message', (m: { id: number; sharpness?: Sharpness; error?: string }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.sharpness) p.resolve(m.sharpness);
      else p.reject(new Error(m.error ?? 'sharpness worker returned nothing'));
      if (pending.size === 0) w.unref();
    });
    w.on('error', (err) => {
      logger.warn({ err }, 'sharpness worker failed; computing sharpness on the main thread');
      broken = true;
      worker = null;
      failAll(err);
    });
    w.on('exit', () => {
      worker = null;
      failAll(new Error('sharpness worker exited'));
    });
    worker = w;
  } catch (err) {
    logger.warn({ err }, 'sharpness worker unavailable; computing sharpness on the main thread');
    broken = true;
  }
  return worker;
}

/** The four sharpness metrics of a plane, as sharpnessOf(frame, step) would give them. */
export async function planeSharpness(frame: PixelBuffer): Promise<Sharpness> {
  const pixels = frame.width * frame.height;
  const step = pixels > SUBSAMPLE_ABOVE ? 2 : 1;
  const w = pixels > WORKER_ABOVE ? getWorker() : null;
  if (!w) return sharpnessOf(frame, step);
  const l = luminance(frame, step);
  const id = nextId++;
  try {
    return await new Promise<Sharpness>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ id, data: l.data, width: l.width, height: l.height }, [l.data.buffer as ArrayBuffer]);
    });
  } catch {
    return sharpnessOf(frame, step); // the worker died under this plane: measure it here
  }
}
