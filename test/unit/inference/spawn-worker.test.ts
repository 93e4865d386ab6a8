import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { resolveWorkerEntry, runsFromSource, spawnWorker } from '../../../src/main/workers/spawn-worker';
import { scratchDir } from './helpers';

function firstMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', (m) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

describe('spawnWorker', () => {
  it('tells sources from bundles by the caller file', () => {
    expect(runsFromSource('file:///app/src/main/inference/engine.ts')).toBe(true);
    expect(runsFromSource('file:///app/out/main/index.js')).toBe(false);
    const src = resolveWorkerEntry('file:///app/src/main/inference/engine.ts', {
      source: './worker.ts',
      bundled: 'inference-worker.js',
    });
    expect(src.fromSource).toBe(true);
    expect(src.entryUrl.href).toBe('file:///app/src/main/inference/worker.ts');
    expect(src.url.protocol).toBe('data:');
    expect(() =>
      resolveWorkerEntry('file:///nowhere/out/main/index.js', {
        source: './worker.ts',
        bundled: 'inference-worker.js',
      }),
    ).toThrow(/inference-worker\.js not found.*add it as an entry/);
  });

  it('runs a TypeScript worker that imports other TypeScript modules', async () => {
    const worker = spawnWorker(
      import.meta.url,
      { source: './echo-worker.ts', bundled: 'echo-worker.js' },
      { workerData: { width: 500 } },
    );
    expect(await firstMessage(worker)).toEqual({ echo: 500, grid: { cols: 2, rows: 1, x0: 26, y0: 0 } });
  });

  it('runs the bundled .js worker beside a bundled caller', async () => {
    const dir = scratchDir('spawn-worker');
    writeFileSync(
      join(dir, 'echo-worker.js'),
      "import { parentPort, workerData } from 'node:worker_threads';\nparentPort.postMessage({ bundled: workerData });\n",
    );
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
    const spec = { source: './echo-worker.ts', bundled: 'echo-worker.js' };
    const caller = pathToFileURL(join(dir, 'index.js')).href;
    expect(resolveWorkerEntry(caller, spec)).toMatchObject({ fromSource: false });
    expect(resolveWorkerEntry(caller, spec).url.href).toBe(pathToFileURL(join(dir, 'echo-worker.js')).href);
    // a shared chunk one folder down (electron-vite puts them in chunks/) finds the same worker
    const chunk = pathToFileURL(join(dir, 'chunks', 'engine-abc123.js')).href;
    expect(resolveWorkerEntry(chunk, spec).url.href).toBe(pathToFileURL(join(dir, 'echo-worker.js')).href);
    const worker = spawnWorker(caller, spec, { workerData: 7 });
    expect(await firstMessage(worker)).toEqual({ bundled: 7 });
  });
});
