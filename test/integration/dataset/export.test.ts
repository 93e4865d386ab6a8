import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquire } from '../../../src/main/acquisition/engine';
import type { Dataset } from '../../../src/main/dataset/db';
import { DatasetError } from '../../../src/main/dataset/errors';
import { exportDataset, MANIFEST_COLUMNS } from '../../../src/main/dataset/export/exportDataset';
import { exportStackOmeTiff } from '../../../src/main/dataset/export/stackOmeTiff';
import { insertAutofocusRun } from '../../../src/main/dataset/repo/autofocus';
import { upsertSetup } from '../../../src/main/dataset/repo/setups';
import { createSlide } from '../../../src/main/dataset/repo/slides';
import { decideStack } from '../../../src/main/dataset/repo/stacks';
import { addFakeStack, newDataset, seedSetupAndSlide, tempDir } from '../../helpers/datasetFixtures';
import { fakeDevices } from '../../helpers/fakeMicroscope';

function readManifest(out: string) {
  const [head, ...rows] = fs.readFileSync(path.join(out, 'manifest.csv'), 'utf8').trim().split('\n');
  const cols = head.split(',');
  return { cols, rows: rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], v]))) };
}

const PLANES = Array.from({ length: 9 }, (_, i) => -2 + 0.5 * i);

describe('export of an acquired (fake, simulated) dataset', () => {
  let ds: Dataset;
  const truth = new Map<number, number>();
  beforeAll(async () => {
    ds = newDataset('export-acq');
    const { setup, slide } = seedSetupAndSlide(ds);
    const dev = await fakeDevices({ seed: 21, zFocusUm: 10.2, focusJitterUm: 0.4, tiltY: 0.0001 });
    const res = await acquire({
      db: ds,
      devices: dev,
      params: { slideId: slide.id, setupId: setup.id, z0Um: 10, grid: { nx: 2, ny: 2, stepUm: 1000 }, source: 'sim' },
    });
    expect(res.state).toBe('completed');
    for (const s of res.stacks) {
      const row = ds.db.prepare('SELECT x_um, y_um FROM stacks WHERE id = ?').get(s.id) as {
        x_um: number;
        y_um: number;
      };
      truth.set(s.id, dev.m.zFocusAt({ xUm: row.x_um, yUm: row.y_um }));
    }
  }, 120_000);
  afterAll(() => ds.close());

  it('writes the formats.md layout: 41 labelled planes per stack, labels within 0.25 um of the truth', async () => {
    const out = path.join(tempDir('exp-full'), 'out');
    const progress: number[] = [];
    const sum = await exportDataset({
      db: ds,
      out,
      seed: 1,
      onProgress: (p) => p.phase === 'write' && progress.push(p.done),
    });
    const { cols, rows } = readManifest(out);
    expect(cols).toEqual([...MANIFEST_COLUMNS]);
    expect(rows).toHaveLength(4 * 41);
    expect(sum.images).toBe(164);
    expect(progress[progress.length - 1]).toBe(164);
    const byStack = new Map<string, typeof rows>();
    for (const r of rows) byStack.set(r.stack_id, [...(byStack.get(r.stack_id) ?? []), r]);
    expect(byStack.size).toBe(4);
    let good = 0;
    for (const [id, rs] of byStack) {
      expect(rs).toHaveLength(41);
      expect(new Set(rs.map((r) => r.split)).size).toBe(1);
      const zf = Number(rs[0].z_focus_um);
      if (Math.abs(zf - truth.get(Number(id))!) <= 0.25) good++;
      for (const r of rs) {
        expect(Number(r.defocus_um)).toBeCloseTo(Number(r.z_um) - zf, 9);
        expect(r.source).toBe('sim');
        expect([r.channels, r.bit_depth, r.width, r.height, r.patch_x, r.patch_y]).toEqual([
          '3',
          '8',
          '160',
          '120',
          '',
          '',
        ]);
        expect(r.path).toMatch(/^images\/s\d{6}\/p\d{3}\.png$/);
        expect(fs.existsSync(path.join(out, r.path))).toBe(true);
      }
    }
    expect(good / byStack.size).toBeGreaterThanOrEqual(0.95);
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'dataset.json'), 'utf8'));
    expect(meta).toMatchObject({
      format: 'focus-station-export',
      format_version: 1,
      split: { rule: 'stack', seed: 1, test_fraction: 0.1, train_stacks: 3, test_stacks: 1 },
      counts: { images: 164, stacks: 4, slides: 1 },
      patch: null,
    });
    expect(meta.counts.train + meta.counts.test).toBe(164);
    expect(meta.setups[0]).toMatchObject({
      id: '20x',
      magnification: 20,
      na: 0.75,
      immersion_index: 1,
      pixel_size_um: 0.345,
    });
    expect(meta.label_method).toMatch(/tenengrad.*gaussian/);
    expect(typeof meta.app_version).toBe('string');
    expect(Date.parse(meta.exported_at)).not.toBeNaN();
    expect(fs.readdirSync(path.dirname(out))).toEqual(['out']);
  });

  it('writes a stack as a calibrated OME-TIFF z-stack that other readers open', async () => {
    const stackId = [...truth.keys()][0];
    const { file, planes } = await exportStackOmeTiff(ds, stackId, path.join(tempDir('ome'), 'stack'));
    expect(file.endsWith('.ome.tif')).toBe(true);
    expect(planes).toBe(41);
    const meta = await sharp(file).metadata();
    expect(meta.pages).toBe(41);
    expect([meta.width, meta.height, meta.channels]).toEqual([160, 120, 3]);
    const rows = ds.db.prepare('SELECT file FROM images WHERE stack_id = ? ORDER BY z_um').all(stackId) as {
      file: string;
    }[];
    for (const i of [0, 20, 40]) {
      const page = await sharp(file, { page: i }).raw().toBuffer();
      const orig = await sharp(path.join(ds.imagesDir, rows[i].file)).raw().toBuffer();
      expect(page.equals(orig)).toBe(true);
    }
    // A second, independent reader: Pillow + the Python XML parser.
    const py = `
import json, sys, xml.etree.ElementTree as ET
from PIL import Image, ImageSequence
im = Image.open(sys.argv[1])
pages = [(p.size, p.mode) for p in ImageSequence.Iterator(im)]
im.seek(0)
root = ET.fromstring(im.tag_v2[270].encode('latin-1').decode('utf-8'))
ns = {'o': 'http://www.openmicroscopy.org/Schemas/OME/2016-06'}
px = root.find('o:Image/o:Pixels', ns)
planes = [float(p.get('PositionZ')) for p in px.findall('o:Plane', ns)]
print(json.dumps({'n': len(pages), 'size': pages[0][0], 'mode': pages[0][1], 'pixels': dict(px.attrib),
  'tiffdata': len(px.findall('o:TiffData', ns)), 'planes': planes,
  'sum0': sum(im.getdata(0))}))
`;
    let out: string;
    try {
      out = execFileSync('/usr/bin/python3', ['-c', py, file], { encoding: 'utf8' });
    } catch (err) {
      throw new Error(`python3/PIL check failed: ${(err as Error).message}`);
    }
    const r = JSON.parse(out);
    expect(r.n).toBe(41);
    expect(r.size).toEqual([160, 120]);
    expect(r.mode).toBe('RGB');
    expect(r.pixels).toMatchObject({
      DimensionOrder: 'XYZCT',
      Type: 'uint8',
      SizeX: '160',
      SizeY: '120',
      SizeZ: '41',
      SizeC: '3',
      SizeT: '1',
      PhysicalSizeX: '0.345',
      PhysicalSizeXUnit: 'µm',
      PhysicalSizeZUnit: 'µm',
    });
    expect(Number(r.pixels.PhysicalSizeZ)).toBeCloseTo(0.5, 9);
    expect(r.tiffdata).toBe(41);
    expect(r.planes[0]).toBeCloseTo(0, 9);
    expect(r.planes[40]).toBeCloseTo(20, 9);
    const first = await sharp(path.join(ds.imagesDir, rows[0].file)).raw().toBuffer();
    let red = 0;
    for (let i = 0; i < first.length; i += 3) red += first[i];
    expect(r.sum0).toBe(red);
  });
});

describe('export options', () => {
  let ds: Dataset;
  const ids: number[] = [];
  beforeAll(async () => {
    ds = newDataset('export-opts');
    const { setup } = seedSetupAndSlide(ds, '20x', 'slide-A');
    upsertSetup(ds.db, { id: '40x', name: '40x/0.95', magnification: 40, na: 0.95, pixelSizeUm: 0.1725 });
    const slides = [1, 2, 3, 4].map((i) => createSlide(ds.db, { name: `slide-${i}` }));
    for (let i = 0; i < 20; i++) {
      const s = await addFakeStack(ds, {
        slideId: slides[i % 4].id,
        setupId: setup.id,
        z: PLANES,
        xUm: i * 1000,
        fake: { seed: 100 + i },
      });
      ids.push(s.stackId);
    }
    for (let i = 0; i < 3; i++)
      await addFakeStack(ds, { slideId: slides[0].id, setupId: '40x', z: PLANES, xUm: 5e4 + i * 1000 });
  }, 120_000);
  afterAll(() => ds.close());

  it('splits 9:1 by stack deterministically from the seed, never one stack on both sides', async () => {
    const a = readManifest(
      (await exportDataset({ db: ds, out: path.join(tempDir('seed'), 'a'), seed: 7, setupId: '20x' })).out,
    );
    const b = readManifest(
      (await exportDataset({ db: ds, out: path.join(tempDir('seed'), 'b'), seed: 7, setupId: '20x' })).out,
    );
    const c = readManifest(
      (await exportDataset({ db: ds, out: path.join(tempDir('seed'), 'c'), seed: 8, setupId: '20x' })).out,
    );
    expect(a.rows).toEqual(b.rows);
    const testStacks = (m: typeof a) =>
      [...new Set(m.rows.filter((r) => r.split === 'test').map((r) => r.stack_id))].sort();
    expect(testStacks(a)).toHaveLength(2);
    expect(testStacks(a)).not.toEqual(testStacks(c));
    const sides = new Map<string, Set<string>>();
    for (const r of a.rows) sides.set(r.stack_id, (sides.get(r.stack_id) ?? new Set()).add(r.split));
    for (const s of sides.values()) expect(s.size).toBe(1);
    expect(new Set(a.rows.map((r) => r.setup_id))).toEqual(new Set(['20x']));
  });

  it('splits by slide: every slide entirely on one side', async () => {
    const { out } = await exportDataset({ db: ds, out: path.join(tempDir('slide'), 'o'), seed: 3, split: 'slide' });
    const { rows } = readManifest(out);
    const sides = new Map<string, Set<string>>();
    for (const r of rows) sides.set(r.slide_id, (sides.get(r.slide_id) ?? new Set()).add(r.split));
    for (const s of sides.values()) expect(s.size).toBe(1);
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'dataset.json'), 'utf8'));
    expect(meta.split.rule).toBe('slide');
    expect(meta.slides.every((s: { split: string }) => s.split === 'train' || s.split === 'test')).toBe(true);
    expect(meta.setups.map((s: { id: string }) => s.id).sort()).toEqual(['20x', '40x']);
  });

  it('leaves out excluded and QC-failed stacks unless asked, and flags hard examples', async () => {
    decideStack(ds.db, ids[0], { action: 'exclude', note: 'bubble' });
    ds.db.prepare("UPDATE stacks SET qc_verdict = 'fail' WHERE id = ?").run(ids[1]);
    const hardRun = insertAutofocusRun(ds.db, {
      method: 'cnn',
      zStartUm: 3,
      zEndUm: 0.1,
      verifiedResidualUm: 0.1,
      hardExample: true,
      stackId: ids[2],
    });
    try {
      const d = await exportDataset({ db: ds, out: path.join(tempDir('filt'), 'o'), setupId: '20x' });
      const ids1 = new Set(readManifest(d.out).rows.map((r) => Number(r.stack_id)));
      expect(ids1.has(ids[0])).toBe(false);
      expect(ids1.has(ids[1])).toBe(false);
      expect(d.skipped).toMatchObject({ excluded: 1, qcFailed: 1 });
      const meta = JSON.parse(fs.readFileSync(path.join(d.out, 'dataset.json'), 'utf8'));
      expect(meta.hard_examples).toEqual([{ stack_id: ids[2], autofocus_run_id: hardRun }]);
      const all = await exportDataset({
        db: ds,
        out: path.join(tempDir('filt'), 'all'),
        setupId: '20x',
        includeExcluded: true,
        includeQcFailed: true,
      });
      const ids2 = new Set(readManifest(all.out).rows.map((r) => Number(r.stack_id)));
      expect(ids2.has(ids[0]) && ids2.has(ids[1])).toBe(true);
      decideStack(ds.db, ids[1], { action: 'accept' }); // the operator vouches for it
      const acc = await exportDataset({ db: ds, out: path.join(tempDir('filt'), 'acc'), setupId: '20x' });
      expect(new Set(readManifest(acc.out).rows.map((r) => Number(r.stack_id))).has(ids[1])).toBe(true);
    } finally {
      decideStack(ds.db, ids[0], { action: 'reset' });
      decideStack(ds.db, ids[1], { action: 'reset' });
      ds.db.prepare("UPDATE stacks SET qc_verdict = 'pass' WHERE id = ?").run(ids[1]);
    }
  });

  it('cancels cleanly: nothing left behind', async () => {
    const dir = tempDir('cancel');
    const ac = new AbortController();
    await expect(
      exportDataset({
        db: ds,
        out: path.join(dir, 'o'),
        signal: ac.signal,
        onProgress: (p) => p.done === 30 && ac.abort(),
      }),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a non-empty output folder and an empty selection with clear messages', async () => {
    const dir = tempDir('refuse');
    fs.writeFileSync(path.join(dir, 'x.txt'), 'x');
    await expect(exportDataset({ db: ds, out: dir })).rejects.toThrow(/not empty/);
    await expect(exportDataset({ db: ds, out: path.join(dir, 'o'), setupId: 'nope' })).rejects.toBeInstanceOf(
      DatasetError,
    );
  });
});

describe('patch export', () => {
  it('cuts 224x224 patches and rejects blank ones on the in-focus plane, for every plane of the column', async () => {
    const ds = newDataset('patches');
    try {
      const { setup, slide } = seedSetupAndSlide(ds);
      // 3x2 patches of 224: textured on the left two thirds, blank (flat + noise) on the right third.
      const { stackId } = await addFakeStack(ds, {
        slideId: slide.id,
        setupId: setup.id,
        z: PLANES,
        fake: { width: 672, height: 448, seed: 5 },
      });
      const rows = ds.db.prepare('SELECT id, file FROM images WHERE stack_id = ?').all(stackId) as {
        id: number;
        file: string;
      }[];
      for (const r of rows) {
        // Blank out the right third of every plane (and re-store it under its new hash).
        const abs = path.join(ds.imagesDir, r.file);
        const { data, info } = await sharp(abs).raw().toBuffer({ resolveWithObject: true });
        for (let y = 0; y < info.height; y++)
          for (let x = 448; x < 672; x++)
            for (let c = 0; c < 3; c++) data[(y * 672 + x) * 3 + c] = 215 + ((x * 7 + y * 13 + c) % 3);
        const png = await sharp(data, { raw: { width: 672, height: 448, channels: 3 } })
          .png()
          .toBuffer();
        fs.writeFileSync(abs, png); // test-only tampering: hash no longer matches, export does not re-check it
      }
      const all = await exportDataset({ db: ds, out: path.join(tempDir('patch'), 'all'), patches: true });
      expect(all.images).toBe(9 * 6);
      const kept = await exportDataset({
        db: ds,
        out: path.join(tempDir('patch'), 'kept'),
        patches: true,
        rejectBlank: true,
      });
      expect(kept.images).toBe(9 * 4);
      expect(kept.rejectedPatches).toBe(9 * 2);
      const { rows: m } = readManifest(kept.out);
      expect(new Set(m.map((r) => r.patch_x))).toEqual(new Set(['0', '224']));
      for (const r of m) {
        expect(r.path).toMatch(/^images\/s\d{6}\/p\d{3}_x\d{4}_y\d{4}\.png$/);
        expect([r.width, r.height]).toEqual(['224', '224']);
        const meta = await sharp(path.join(kept.out, r.path)).metadata();
        expect([meta.width, meta.height]).toEqual([224, 224]);
      }
      const info = JSON.parse(fs.readFileSync(path.join(kept.out, 'dataset.json'), 'utf8'));
      expect(info.patch).toMatchObject({ size: 224, reject_blank: true, stride: 224 });
      // A stricter threshold, as a parameter, rejects more.
      const strict = await exportDataset({
        db: ds,
        out: path.join(tempDir('patch'), 'strict'),
        patches: true,
        rejectBlank: { minContrast: 10 },
      });
      expect(strict.images).toBe(0);
    } finally {
      ds.close();
    }
  }, 120_000);
});
