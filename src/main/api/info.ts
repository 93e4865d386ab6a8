/** `info`: what this installation is, what it found, and what it is driving. */
import { arch, cpus, platform } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import sharp from 'sharp';
import type { AppInfo } from '../../shared/schemas/app';
import type { Services } from '../services/container';
import { appRoot } from '../paths';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function appPackage(): { name: string; version: string } {
  try {
    return require(join(appRoot(), 'package.json')) as { name: string; version: string };
  } catch {
    return { name: 'focus-station', version: 'unknown' };
  }
}

export async function appInfo(s: Services): Promise<AppInfo> {
  const pkg = appPackage();
  const status = await s.hardware.status();
  const versions: Record<string, string> = {
    node: process.versions.node,
    'onnxruntime-node': packageVersion('onnxruntime-node'),
    sharp: sharp.versions.sharp ?? packageVersion('sharp'),
    libvips: sharp.versions.vips,
    'better-sqlite3': packageVersion('better-sqlite3'),
    serialport: packageVersion('serialport'),
  };
  if (process.versions.electron) versions.electron = process.versions.electron;
  return {
    app: { name: pkg.name, version: pkg.version },
    frontDoor: s.frontDoor,
    versions,
    platform: { os: platform(), arch: arch(), cpus: cpus().length },
    paths: { dataDir: s.dataDir, modelDirs: s.modelDirs },
    models: await s.models.list(),
    hardware: {
      profile: status.profile,
      camera: status.camera.name,
      zStage: status.zStage.name,
      xyStage: status.xyStage.name,
      setup: status.setupId,
    },
  };
}
