/** Starts `focus-station serve` as a real child process (browser mode) and returns its URL and token. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServeProcess {
  url: string;
  token: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startServeProcess(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const bin = join(__dirname, '..', '..', 'bin', 'focus-station.js');
  // A fresh data folder unless the test brings one: a profile remembered by an earlier run must not leak in.
  const dataDir = env.FOCUS_STATION_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'focus-station-serve-'));
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--json', ...extraArgs], {
    env: { ...process.env, ...env, FOCUS_STATION_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s: ${stderr}`)), 60_000);
    child.stdout!.on('data', (c) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  const { url, token, port } = JSON.parse(line) as { url: string; token: string; port: number };
  return {
    url,
    token,
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
