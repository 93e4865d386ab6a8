/**
 * Pseudo-terminal pairs made with socat, so drivers do real serialport I/O against an emulator:
 *   socat -d -d pty,raw,echo=0,link=<device> pty,raw,echo=0,link=<host>
 * Killing socat is how a dropped cable looks to the driver (its port reports a disconnect);
 * closing one end alone does not reach the other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HardwareError } from '../types';

export interface PtyPair {
  /** The end an emulator (or other fake device) opens. */
  devicePath: string;
  /** The end a driver opens. */
  hostPath: string;
  /** Kills socat: both ends disappear, like a pulled cable. */
  kill(): void;
  /** Waits for socat to be gone. */
  exited(): Promise<void>;
  close(): Promise<void>;
}

export async function createPtyPair(
  options: { devicePath?: string; hostPath?: string; timeoutMs?: number } = {},
): Promise<PtyPair> {
  const dir = options.devicePath && options.hostPath ? null : mkdtempSync(join(tmpdir(), 'focus-pty-'));
  const devicePath = options.devicePath ?? join(dir!, 'device');
  const hostPath = options.hostPath ?? join(dir!, 'host');
  const child: ChildProcess = spawn(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${hostPath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new HardwareError(
          'config',
          err.code === 'ENOENT'
            ? 'socat is not installed (Debian: apt-get install socat); it is needed for pseudo-terminal serial pairs'
            : `socat failed to start: ${err.message}`,
        ),
      ),
    ),
  );
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  const ready = (async () => {
    while (!(existsSync(devicePath) && existsSync(hostPath))) {
      if (child.exitCode !== null) throw new HardwareError('config', `socat exited early: ${stderr.trim()}`);
      if (Date.now() > deadline)
        throw new HardwareError('timeout', `socat did not create ${devicePath} and ${hostPath} in time`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await Promise.race([ready, spawnError]);
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  return {
    devicePath,
    hostPath,
    kill,
    exited: () => exited,
    async close() {
      kill();
      await exited;
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
