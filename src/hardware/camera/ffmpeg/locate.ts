/** Finds the ffmpeg executable: a configured path, else the PATH. */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { HardwareError } from '../../types';

export interface LocateOptions {
  /** A path from the camera profile; used as is when given. */
  configuredPath?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export function findFfmpeg(options: LocateOptions = {}): string {
  const platform = options.platform ?? process.platform;
  if (options.configuredPath) {
    if (isExecutable(options.configuredPath)) return options.configuredPath;
    throw new HardwareError(
      'config',
      `ffmpeg was not found at the configured path ${options.configuredPath}; fix the camera profile or clear it to use ffmpeg from the PATH`,
    );
  }
  const env = options.env ?? process.env;
  const names = platform === 'win32' ? ['ffmpeg.exe', 'ffmpeg'] : ['ffmpeg'];
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  throw new HardwareError(
    'config',
    platform === 'linux'
      ? 'ffmpeg is not installed or not on the PATH (Debian/Ubuntu: apt-get install ffmpeg), or set its path in the camera profile'
      : 'ffmpeg is not installed or not on the PATH; install it or set its path in the camera profile',
  );
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
