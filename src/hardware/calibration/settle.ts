/**
 * Settle time: after a move has been reported complete, how long until the image stops changing?
 * Frames are taken back to back; the noise of a resting stage sets the "no change" level.
 * The resolution is the camera's frame interval.
 */
import { HardwareError, type Camera, type Frame, type ZStage } from '../types';
import { checkAborted, type StepOptions } from './progress';
import { relativeDifference } from './sharpness';

export interface SettleOptions extends StepOptions {
  stepUm?: number;
  repeats?: number;
  /** Give up waiting for stillness after this long (ms). */
  maxMs?: number;
  /** Consecutive quiet frames that count as settled. */
  quietFrames?: number;
}

export interface SettleResult {
  /** The longest settle time seen over the repeats (ms). */
  settleMs: number;
  perMoveMs: number[];
  noiseLevel: number;
  frameIntervalMs: number;
  explanation: string;
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
  const progress = (fraction: number, message: string) => options.onProgress?.({ step: 'settle', fraction, message });

  // Noise of a stage at rest: the largest change between consecutive still frames.
  progress(0, 'measuring image noise at rest');
  let prev = await camera.snap();
  let noise = 0;
  const t0 = Date.now();
  for (let i = 0; i < 5; i++) {
    const f = await camera.snap();
    noise = Math.max(noise, relativeDifference(prev, f));
    prev = f;
  }
  const frameIntervalMs = (Date.now() - t0) / 5;
  const threshold = noise * 1.5 + 1e-6;

  const perMoveMs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    checkAborted(options.signal, 'settle');
    await stage.moveBy(r % 2 === 0 ? step : -step);
    const moved = Date.now();
    let last: Frame = await camera.snap();
    let quietRun = 0;
    let quietSince = 0;
    for (;;) {
      const f = await camera.snap();
      const t = f.timestamp - moved;
      if (relativeDifference(last, f) <= threshold) {
        if (quietRun === 0) quietSince = Math.max(0, last.timestamp - moved);
        quietRun++;
      } else {
        quietRun = 0;
      }
      last = f;
      if (quietRun >= quiet) break;
      if (t > maxMs)
        throw new HardwareError('timeout', `The image was still changing ${maxMs} ms after a ${step} um move`);
    }
    perMoveMs.push(quietSince);
    progress((r + 1) / repeats, `move ${r + 1}/${repeats}: still after ${quietSince} ms`);
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
