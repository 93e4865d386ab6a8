/** Temp dataset folders under test-output/ and a standard optical setup + slide. */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openDataset, type Dataset } from '../../src/main/dataset/db';
import { upsertSetup } from '../../src/main/dataset/repo/setups';
import { createSlide } from '../../src/main/dataset/repo/slides';
import { listStoredFiles } from '../../src/main/dataset/imageStore';
import type { Frame } from '../../src/hardware/types';
import { storePlane } from '../../src/main/acquisition/storePlane';
import { createStack, markStackComplete } from '../../src/main/dataset/repo/stacks';
import { labelStack } from '../../src/main/dataset/labelling';
import { sharpnessOf } from '../../src/main/focus/metrics';
import { FakeMicroscope, type FakeOptions } from './fakeMicroscope';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const OUT = path.join(ROOT, 'test-output', 'dataset');

export function tempDir(name: string): string {
  const dir = path.join(OUT, `${name}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function newDataset(name: string): Dataset {
  return openDataset(path.join(tempDir(name), 'ds.sqlite'), { create: true });
}

export function seedSetupAndSlide(ds: Dataset, setupId = '20x', slideName = 'slide-1') {
  const setup = upsertSetup(ds.db, {
    id: setupId,
    name: `${setupId} / 0.75`,
    magnification: 20,
    na: 0.75,
    immersion: 'air',
    immersionIndex: 1,
    condenserSigma: 0.7,
    cameraPixelPitchUm: 6.9,
    pixelSizeUm: 0.345,
  });
  const slide = createSlide(ds.db, { name: slideName, sample: 'fake tissue', stain: 'H&E' });
  return { setup, slide };
}

/** Row counts of every table + the stored file list: "the dataset as it was". */
export function snapshot(ds: Dataset) {
  const tables = ['slides', 'setups', 'runs', 'stacks', 'images', 'models', 'autofocus_runs'];
  const counts = Object.fromEntries(
    tables.map((t) => [t, (ds.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]),
  );
  const all: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        all.push(`${r}/`);
        walk(path.join(d, e.name), r);
      } else all.push(r);
    }
  };
  walk(ds.imagesDir, '');
  return { counts, files: all.sort(), stored: listStoredFiles(ds.imagesDir) };
}

export function frameOf(
  data: Uint8Array | Uint16Array,
  width: number,
  height: number,
  channels: 1 | 3,
  bitDepth: 8 | 12 | 16 = 8,
): Frame {
  return { data, width, height, channels, bitDepth, pixelSizeUm: 0.345, exposureMs: 5, timestamp: Date.now() };
}

/** Adds a complete, labelled stack rendered by the fake microscope at the given planes (no stage, no engine). */
export async function addFakeStack(
  ds: Dataset,
  o: { slideId: number; setupId: string; z: number[]; fake?: FakeOptions; xUm?: number; source?: string },
): Promise<{ stackId: number; zFocusTrue: number }> {
  const m = new FakeMicroscope({ width: 64, height: 48, ...(o.fake ?? {}) });
  m.xy = { xUm: o.xUm ?? 0, yUm: 0 };
  const zf = m.zFocusAt(m.xy);
  const stackId = createStack(ds.db, {
    slideId: o.slideId,
    setupId: o.setupId,
    xUm: m.xy.xUm,
    yUm: 0,
    source: o.source ?? 'sim',
  });
  for (const [i, z] of o.z.entries()) {
    const { data } = m.render(z - zf);
    const frame = frameOf(data, m.o.width, m.o.height, m.o.channels, m.o.bitDepth);
    await storePlane(ds, { stackId, planeIndex: i, zUm: z, frame, sharpness: sharpnessOf(frame) });
  }
  labelStack(ds.db, stackId);
  markStackComplete(ds.db, stackId);
  return { stackId, zFocusTrue: zf };
}
