/**
 * Starts a worker thread from TypeScript sources (tsx, vitest) or from the bundled app (electron-vite) alike.
 *
 * From sources the caller is a `.ts` file and the worker is its `.ts` sibling. Node 20 does not apply loader hooks
 * given to a worker with `execArgv: ['--import', 'tsx']` to the worker's entry file ("Unknown file extension .ts"),
 * so the worker starts from a tiny ES module (a data: URL) that registers tsx's ESM loader in the worker thread and
 * then imports the entry. Bundled, the caller is a `.js` chunk in out/main/ and the worker must be a bundle entry of
 * its own named `bundled` in the bundle's folder (electron.vite.config.ts main `build.rollupOptions.input`:
 * `{ index: ..., 'inference-worker': 'src/main/inference/worker.ts' }` gives out/main/inference-worker.js). The caller
 * may sit in out/main/ or in a shared chunk in out/main/chunks/, so both its folder and the one above are searched.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export interface WorkerEntrySpec {
  /** The worker's source file relative to the caller, e.g. './worker.ts'. */
  source: string;
  /** The worker's bundled file name beside the bundled caller, e.g. 'inference-worker.js'. */
  bundled: string;
}

export interface WorkerEntry {
  /** What to hand to `new Worker()`: the bundled file, or the data: URL bootstrap when running from sources. */
  url: URL;
  /** The worker module itself. */
  entryUrl: URL;
  fromSource: boolean;
}

const SOURCE_EXT = /\.(ts|mts|cts)$/;

/** True when `callerUrl` is a TypeScript source file, i.e. the app runs from sources under tsx or vitest. */
export function runsFromSource(callerUrl: string): boolean {
  return SOURCE_EXT.test(new URL(callerUrl).pathname);
}

let tsxApiUrl: string | undefined;

/** Absolute URL of tsx's ESM API module (`tsx/esm/api`, import condition), which exports `register()`. */
export function tsxEsmApiUrl(): string {
  if (!tsxApiUrl) {
    const require = createRequire(import.meta.url);
    const packageJson = require.resolve('tsx/package.json');
    const exportsField = JSON.parse(readFileSync(packageJson, 'utf8')).exports?.['./esm/api'];
    const target: unknown = exportsField?.import?.default ?? exportsField?.import;
    if (typeof target !== 'string') throw new Error(`cannot find tsx/esm/api (import) in ${packageJson}`);
    tsxApiUrl = pathToFileURL(join(dirname(packageJson), target)).href;
  }
  return tsxApiUrl;
}

/** An ES module (data: URL) that registers tsx in the worker thread, then runs the TypeScript entry. */
export function tsxBootstrapUrl(entryUrl: URL): URL {
  const code =
    `import { register } from ${JSON.stringify(tsxEsmApiUrl())};\n` +
    `register();\n` +
    `await import(${JSON.stringify(entryUrl.href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export function resolveWorkerEntry(callerUrl: string, spec: WorkerEntrySpec): WorkerEntry {
  if (runsFromSource(callerUrl)) {
    const entryUrl = new URL(spec.source, callerUrl);
    return { url: tsxBootstrapUrl(entryUrl), entryUrl, fromSource: true };
  }
  const candidates = [new URL(`./${spec.bundled}`, callerUrl), new URL(`../${spec.bundled}`, callerUrl)];
  const entryUrl = candidates.find((u) => u.protocol !== 'file:' || existsSync(fileURLToPath(u)));
  if (!entryUrl) {
    throw new Error(
      `worker bundle ${spec.bundled} not found beside ${callerUrl} (looked at ${candidates.map((u) => u.href).join(', ')}); ` +
        'add it as an entry of the main bundle',
    );
  }
  return { url: entryUrl, entryUrl, fromSource: false };
}

/** `new Worker(...)` for the entry `spec` of the module at `callerUrl` (pass `import.meta.url`). */
export function spawnWorker(
  callerUrl: string,
  spec: WorkerEntrySpec,
  options: Omit<WorkerOptions, 'eval'> = {},
): Worker {
  const entry = resolveWorkerEntry(callerUrl, spec);
  // From sources, do not inherit the parent's loader flags (tsx's own --require/--import): the bootstrap registers tsx.
  const execArgv = options.execArgv ?? (entry.fromSource ? [] : undefined);
  return new Worker(entry.url, { ...options, execArgv });
}
