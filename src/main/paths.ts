/**
 * Where things live: the shipped resources (models, default slide), the user's data folder (datasets, user models,
 * hardware profiles) and the built renderer. Works from the TypeScript sources, from the electron-vite bundle in
 * out/main, and from a packaged app (resources unpacked beside app.asar).
 */
import { existsSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The project (or packaged app) root: the nearest folder above this module holding package.json. */
export function appRoot(): string {
  let dir = here;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return resolve(here, '..', '..');
}

export function resourcesDir(): string {
  if (process.env.FOCUS_STATION_RESOURCES) return resolve(process.env.FOCUS_STATION_RESOURCES);
  const candidates: string[] = [];
  // Packaged: resources/ is unpacked beside app.asar so native code (onnxruntime) can read the model files.
  const electronResources = (process as { resourcesPath?: string }).resourcesPath;
  if (electronResources) candidates.push(join(electronResources, 'app.asar.unpacked', 'resources'));
  candidates.push(join(appRoot(), 'resources'));
  return candidates.find((c) => existsSync(c)) ?? candidates[candidates.length - 1];
}

export function shippedModelsDir(): string {
  return join(resourcesDir(), 'models');
}

/** The user's data folder (FOCUS_STATION_DATA_DIR overrides it, e.g. for tests). */
export function dataDir(): string {
  if (process.env.FOCUS_STATION_DATA_DIR) return resolve(process.env.FOCUS_STATION_DATA_DIR);
  const home = homedir();
  switch (platform()) {
    case 'win32':
      return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'FocusStation');
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'FocusStation');
    default:
      return join(process.env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'focus-station');
  }
}

export function userModelsDir(): string {
  return join(dataDir(), 'models');
}

export function defaultDatabasePath(): string {
  return join(dataDir(), 'dataset', 'focus-station.sqlite');
}

/** The built renderer (electron-vite writes it to out/renderer). */
export function rendererDir(): string {
  return join(appRoot(), 'out', 'renderer');
}
