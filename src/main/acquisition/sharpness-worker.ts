/**
 * Worker thread of the acquisition: the four sharpness metrics of a plane's luminance (transferred, not copied), so
 * the ~50 ms of metric loops on a 5 MP frame run beside the event loop instead of on it.
 */
import { parentPort } from 'node:worker_threads';
import { brenner, laplacianVariance, normVariance, tenengrad } from '../focus/metrics';

interface Job {
  id: number;
  data: Float32Array;
  width: number;
  height: number;
}

parentPort!.on('message', (job: Job) => {
  const l = { data: job.data, width: job.width, height: job.height };
  try {
    parentPort!.postMessage({
      id: job.id,
      sharpness: {
        normVariance: normVariance(l),
        brenner: brenner(l),
        tenengrad: tenengrad(l),
        laplacianVariance: laplacianVariance(l),
      },
    });
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: (err as Error).message });
  }
});
