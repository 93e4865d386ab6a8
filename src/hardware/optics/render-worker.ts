/**
 * Worker thread of FrameEngine: owns its own PFFFT instance and ImageFormation over the shared slide raster, and
 * renders + digitises the channels it is asked for. Messages: { id, req, which, camera, bitDepth, seed }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { OpticalSetup } from '../../shared/optics';
import { renderChannels, type FrameJob } from './frame';
import { ImageFormation } from './render';
import type { ResolvedSample } from './sample';
import type { SlideRaster } from './slide';

interface InitData {
  raster: SlideRaster;
  setup: OpticalSetup;
  sample: ResolvedSample;
  width: number;
  height: number;
  marginDefocusUm: number;
}

interface Job extends FrameJob {
  id: number;
}

const init = workerData as InitData;
const port = parentPort;
if (!port) throw new Error('render-worker must run in a worker thread');
const formation = ImageFormation.fromRaster(init.raster, init.setup, init.sample, init);

port.on('message', (job: Job) => {
  formation.then(
    (f) => {
      try {
        const planes = renderChannels(f, job.req, job.which, job.camera, job.bitDepth, job.seed, job.rows);
        port.postMessage(
          { id: job.id, planes },
          planes.map((p) => p.buffer as ArrayBuffer),
        );
      } catch (e) {
        port.postMessage({ id: job.id, error: (e as Error).message });
      }
    },
    (e: unknown) => port.postMessage({ id: job.id, error: `render worker failed to start: ${(e as Error).message}` }),
  );
});
