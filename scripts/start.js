#!/usr/bin/env node
// `npm start`: build, then launch the Electron app on the simulated microscope. Where Electron's binary is not
// installed and cannot be fetched (machines without internet), say so in one line and start browser mode instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

function run(cmd, cmdArgs, options = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', ...options });
  return r.status ?? 1;
}

function electronBinary() {
  let dir;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
  const pathFile = join(dir, 'path.txt');
  const find = () => {
    if (!existsSync(pathFile)) return null;
    const bin = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(bin) ? bin : null;
  };
  if (find()) return find();
  if (process.env.FOCUS_STATION_NO_ELECTRON_DOWNLOAD) return null;
  // Electron downloads its binary on first use; give it one bounded, quiet try.
  spawnSync(process.execPath, [join(dir, 'install.js')], { stdio: 'ignore', timeout: 120_000 });
  return find();
}

if (run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build']) !== 0) {
  process.stderr.write('focus-station: the build failed (see above)\n');
  process.exit(1);
}

const electron = electronBinary();
if (!electron) {
  process.stdout.write(
    "Electron's binary is not installed here (it is downloaded from the internet on first use, and this machine cannot reach it): starting browser mode instead - open the URL below in a browser.\n",
  );
  process.exit(run(process.execPath, [join(root, 'bin', 'focus-station.js'), 'serve', ...args]));
}

const electronArgs = ['.'];
// Chromium refuses to run as root without this; a root session on a lab PC is usually a kiosk or a container.
if (process.getuid?.() === 0) electronArgs.push('--no-sandbox');
const child = spawn(electron, [...electronArgs, ...args], { cwd: root, stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
