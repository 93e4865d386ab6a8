// Test worker for spawn-worker.test.ts: imports a TypeScript module (extensionless) to prove the loader works.
import { parentPort, workerData } from 'node:worker_threads';
import { tileGrid } from '../../../src/main/inference/preprocess';

const typed: { width: number } = workerData;
parentPort!.postMessage({ echo: typed.width, grid: tileGrid(typed.width, 224, 224) });
