#!/usr/bin/env node
// Runs the training code's Python: FOCUS_STATION_PYTHON if set, else the first interpreter that can import torch
// (Debian's /usr/bin/python3 carries python3-torch; a pyenv python3 earlier on PATH usually does not).
import { spawnSync } from 'node:child_process';

const candidates = [process.env.FOCUS_STATION_PYTHON, '/usr/bin/python3', 'python3', 'python'].filter(Boolean);
const python = candidates.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
if (!python) {
  process.stderr.write(
    `No Python with PyTorch found (tried ${candidates.join(', ')}). On Debian: apt-get install python3-torch python3-torchvision python3-onnx python3-pytest\n`,
  );
  process.exit(1);
}
const r = spawnSync(python, process.argv.slice(2), { stdio: 'inherit' });
process.exit(r.status ?? 1);
