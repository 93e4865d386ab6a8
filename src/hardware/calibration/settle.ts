/**
 * Settle time: after a move has been reported complete, how long until the image stops changing?
 * Frames are taken back to back and each is compared with the image the stage finally rests at, not with the
 * frame before it: a slow oscillation changes little between two frames near its turning points, which a
 * frame-to-frame comparison mistakes for stillness. Every move is watched for at least `watchMs` before anything is
 * decided: right after a move the ringing is at its first turning point, and a slow ringing changes the image so
 * little there that the first frames match each other (a 900 ms settle read as 5 ms). After that, the stage counts
 * as at rest once the last frames have matched each other for at least half the time since the move. The noise of a
 * resting stage sets the "no change" level; the resolution is the camera's frame interval.
 */
import { HardwareError, type Camera, type Frame, type ZStage } from '../types';
import { checkAborted, type StepOptions } from './progress';
import { toGrey } from './sharpness';

export interface SettleOptions extends StepOptions {
  stepUm?: number;
  repeats?: number;
  /** Give up waiting for stillness after this long (ms). */
  maxMs?: number;
  /** Frames that must match the resting image at the end (at least). */
  quietFrames?: number;
  /** Watch every move at least this long (ms) before deciding when it came to rest (default 1000). */
  watchMs?: number;
}

export interface SettleResult {
  /** The longest settle time seen over the repeats (ms). */
  settleMs: number;
  perMoveMs: number[];
  noiseLevel: number;
  frameIntervalMs: number;
  explanation: string;
}

/** A frame reduced to block-averaged grey (at most ~160 px wide): cheap to keep, less noisy to compare. */
export function frameSignature(frame: Frame, maxWidth = 160): Float64Array {
  const grey = toGrey(frame);
  const k = Math.max(1, Math.ceil(frame.width / maxWidth));
  const w = Math.floor(frame.width / k);
  const h = Math.floor(frame.height / k);
  const out = new Float64Array(w * h);
  for (let y = 0; y < h * k; y++) {
    for (let x = 0; x < w * k; x++) out[Math.floor(y / k) * w + Math.floor(x / k)] += grey[y * frame.width + x];
  }
  for (let i = 0; i < out.length; i++) out[i] /= k * k;
  return out;
}

/** Mean absolute difference relative to the mean level (0 = identical). */
function difference(a: Float64Array, b: Float64Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d += Math.abs(a[i] - b[i]);
    m += a[i] + b[i];
  }
  return m > 0 ? d / (m / 2) : 0;
}

interface Seen {
  t: number;
  sig: Float64Array;
}

export async function measureSettleTime(
  stage: ZStage,
  camera: Camera,
  options: SettleOptions = {},
): Promise<SettleResult> {
  const step = options.stepUm ?? 2;
  const repeats = options.repeats ?? 3;
  const maxMs = options.maxMs ?? 3000;
  const quiet = options.quietFrames ?? 3;
  const watchMs = Math.min(options.watchMs ?? 1000, maxMs);
  const progress = (fraction: number, message: string) => options.onProgress?.({ step: 'settle', fraction, message });

  // Noise of a stage at rest: the largest change between consecutive still frames.
  progress(0, 'measuring image noise at rest');
  let prev = frameSignature(await camera.snap());
  let noise = 0;
  const t0 = Date.now();
  for (let i = 0; i < 5; i++) {
    const sig = frameSignature(await camera.snap());
    noise = Math.max(noise, difference(prev, sig));
    prev = sig;
  }
  const frameIntervalMs = (Date.now() - t0) / 5;
  const threshold = noise * 1.5 + 1e-6;

  const perMoveMs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    checkAborted(options.signal, 'settle');
    await stage.moveBy(r % 2 === 0 ? step : -step);
    const moved = Date.now();
    const seen: Seen[] = [];
    let settledAt: number | null = null;
    while (settledAt === null) {
      checkAborted(options.signal, 'settle');
      const f = await camera.snap();
      seen.push({ t: Math.max(0, f.timestamp - moved), sig: frameSignature(f) });
      if (seen[seen.length - 1].t >= watchMs) settledAt = restingSince(seen, threshold, quiet);
      if (settledAt === null && seen[seen.length - 1].t > maxMs) {
        throw new HardwareError('timeout', `The image was still changing ${maxMs} ms after a ${step} um move`);
      }
    }
    perMoveMs.push(settledAt);
    progress((r + 1) / repeats, `move ${r + 1}/${repeats}: still after ${settledAt} ms`);
  }
  const settleMs = Math.max(...perMoveMs);
  return {
    settleMs,
    perMoveMs,
    noiseLevel: noise,
    frameIntervalMs,
    explanation: `The image stops changing ${settleMs} ms after a ${step} um move is reported done (frame interval ${frameIntervalMs.toFixed(0)} ms).`,
  };
}

/**
 * When the frames started to look like the last one, provided that quiet tail is long enough to be rest and not the
 * turning point of an oscillation (at least `quiet` frames and half the time since the move); null otherwise.
 */
function restingSince(seen: Seen[], threshold: number, quiet: number): number | null {
  const last = seen[seen.length - 1];
  let k = seen.length - 1;
  while (k > 0 && difference(seen[k - 1].sig, last.sig) <= threshold) k--;
  const tailFrames = seen.length - k;
  const tailMs = last.t - seen[k].t;
  return tailFrames >= quiet && tailMs >= 0.5 * last.t ? seen[k].t : null;
}
