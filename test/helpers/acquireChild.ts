/**
 * Child process for the kill test: runs (or resumes) an acquisition on the fake microscope into a real SQLite file,
 * printing "PLANE <done>" after each stored plane and "DONE <state> <runId> <stored>" at the end.
 * Usage: node --import tsx test/helpers/acquireChild.ts <db> start|resume
 */
import fs from 'node:fs';
import { acquire, findResumableRuns } from '../../src/main/acquisition/engine';
import { openDataset } from '../../src/main/dataset/db';
import { listSetups, upsertSetup } from '../../src/main/dataset/repo/setups';
import { createSlide, listSlides } from '../../src/main/dataset/repo/slides';
import { fakeDevices } from './fakeMicroscope';

const [file, mode] = process.argv.slice(2);
const ds = openDataset(file, { create: !fs.existsSync(file) });
if (listSetups(ds.db).length === 0) {
  upsertSetup(ds.db, { id: '20x', name: '20x/0.75', magnification: 20, na: 0.75, pixelSizeUm: 0.345 });
  createSlide(ds.db, { name: 'kill-test' });
}
const slide = listSlides(ds.db)[0];
const dev = await fakeDevices({ seed: 9, zFocusUm: 0.2, focusJitterUm: 0.3 }, { moveMs: 8 });
const onProgress = (e: { state: string; zUm: number | null; done: number }) => {
  if (e.state === 'running' && e.zUm !== null) process.stdout.write(`PLANE ${e.done}\n`);
};
let res;
if (mode === 'resume') {
  const runs = findResumableRuns(ds);
  if (runs.length !== 1) throw new Error(`expected one resumable run, found ${runs.length}`);
  res = await acquire({ db: ds, devices: dev, resumeRunId: runs[0].id, onProgress });
} else {
  res = await acquire({
    db: ds,
    devices: dev,
    params: { slideId: slide.id, setupId: '20x', z0Um: 0, grid: { nx: 2, ny: 1, stepUm: 1000 }, source: 'sim' },
    onProgress,
  });
}
process.stdout.write(`DONE ${res.state} ${res.runId} ${res.planesStored}\n`);
ds.close();
