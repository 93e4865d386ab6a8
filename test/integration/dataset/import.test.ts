import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/main/dataset/db';
import { DatasetError } from '../../../src/main/dataset/errors';
import { exportStackOmeTiff } from '../../../src/main/dataset/export/stackOmeTiff';
import { importDataset } from '../../../src/main/dataset/import/importDataset';
import { stackFocusLabel, requireStackRow } from '../../../src/main/dataset/repo/stacks';
import sharp from 'sharp';
import { ROOT, addFakeStack, newDataset, seedSetupAndSlide, snapshot, tempDir } from '../../helpers/datasetFixtures';
import { tissueFrame } from '../../unit/autofocus/frames';
import { wideTiff } from '../../helpers/wideTiff';

const JIANG = path.join(ROOT, 'test/fixtures/jiang2018');
const WAFER = path.resolve(ROOT, '../shared/data/real-stacks/wafer-reflected');

async function expectRefused(p: Promise<unknown>, code: string, msg: RegExp) {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe(code);
    expect((err as Error).message).toMatch(msg);
    return err as DatasetError;
  }
  throw new Error(`expected a refusal (${code})`);
}

/** A folder of files named with their defocus, imported at 20x as one slide. */
const importByDefocus = (ds: Dataset, dir: string, slideName: string) =>
  importDataset({ db: ds, path: dir, format: 'filenames', value: 'defocus', setupId: '20x', slideName });

describe('import', () => {
  let ds: Dataset;
  beforeAll(() => {
    ds = newDataset('import');
    seedSetupAndSlide(ds);
  });
  afterAll(() => ds.close());

  it('imports the Jiang 2018 layout with signed labels from the nanometre defocus', async () => {
    const r = await importDataset({ db: ds, path: JIANG, format: 'jiang2018', setupId: '20x' });
    expect(r.images).toBe(36);
    expect(r.stacks.map((s) => `${s.slideName} | ${s.key} | ${s.planes}`).sort()).toEqual([
      'jiang2018/s1 | train/s1_l1/Seg1 | 9',
      'jiang2018/s1 | train/s1_l1/Seg2 | 9',
      'jiang2018/s2 | train/s2_l3/Seg1 | 9',
      'jiang2018/testRawData_incoherent | testRawData_incoherent | 9',
    ]);
    const rows = ds.db
      .prepare(
        `SELECT i.defocus_um, i.z_um, i.meta, s.z_focus_um, s.z_focus_source, s.source FROM images i JOIN stacks s ON s.id = i.stack_id WHERE s.source = 'import:jiang2018'`,
      )
      .all() as {
      defocus_um: number;
      z_um: number;
      meta: string;
      z_focus_um: number;
      z_focus_source: string;
      source: string;
    }[];
    expect(rows).toHaveLength(36);
    for (const row of rows) {
      const name = JSON.parse(row.meta).originalName as string;
      const nm = Number(/defocus([-\d]+)\.jpg$/.exec(name)![1]);
      expect(row.defocus_um).toBeCloseTo(nm / 1000, 12);
      expect([row.z_focus_um, row.z_focus_source]).toEqual([0, 'given']);
    }
    // The fit (a cross-check here) finds the sharpness peak at the given focus.
    for (const s of r.stacks) {
      const label = stackFocusLabel(requireStackRow(ds.db, s.id))!;
      expect(Math.abs(label.zFocusUm!)).toBeLessThan(0.5);
      expect(s.qc).not.toBe('fail');
    }
  });

  it('imports the real wafer stacks by file name; every label equals ground_truth.csv', async () => {
    const r = await importDataset({
      db: ds,
      path: WAFER,
      format: 'filenames',
      value: 'defocus',
      setupId: '20x',
      slideName: 'wafer',
    });
    expect(r.stacks.map((s) => s.key).sort()).toEqual(['ix000_iy025', 'ix000_iy026', 'ix000_iy027']);
    expect(r.images).toBe(32);
    const truth = fs
      .readFileSync(path.join(WAFER, 'ground_truth.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const rows = ds.db
      .prepare(
        `SELECT i.defocus_um, i.meta, i.width, i.height, i.channels, s.key FROM images i JOIN stacks s ON s.id = i.stack_id WHERE s.source = 'import:filenames'`,
      )
      .all() as { defocus_um: number; meta: string; width: number; height: number; channels: number; key: string }[];
    const byName = new Map(rows.map((x) => [JSON.parse(x.meta).originalName as string, x]));
    expect(byName.size).toBe(truth.length);
    for (const [file, field, d] of truth) {
      const row = byName.get(file)!;
      expect(row.key).toBe(field);
      expect(row.defocus_um).toBeCloseTo(Number(d), 9);
      expect([row.width, row.height, row.channels]).toEqual([1920, 1200, 1]);
    }
    // How far the automatic fit lands from the given focus on these sparse, irregular real stacks (reported).
    const fits = r.stacks.map((s) => ({
      key: s.key,
      fitZFocusUm: stackFocusLabel(requireStackRow(ds.db, s.id))!.zFocusUm,
      qc: s.qc,
      flags: s.flags,
    }));
    fs.writeFileSync(path.join(tempDir('wafer-fit'), 'wafer-fit.json'), JSON.stringify(fits, null, 2));
    console.log('wafer: automatic fit vs given focus (0 um):', JSON.stringify(fits));
    for (const f of fits) expect(Math.abs(f.fitZFocusUm!)).toBeLessThan(10);
  }, 120_000);

  it('refuses a duplicate import and leaves the dataset exactly as it was', async () => {
    const before = snapshot(ds);
    await expectRefused(
      importDataset({ db: ds, path: JIANG, format: 'jiang2018', setupId: '20x' }),
      'duplicate',
      /already in the dataset.*nothing was imported/,
    );
    expect(snapshot(ds)).toEqual(before);
  });

  it('imports a multi-page TIFF z-stack: the step from our OME-XML or given, labels fitted', async () => {
    const src = newDataset('tiff-src');
    const { setup, slide } = seedSetupAndSlide(src);
    const z = Array.from({ length: 21 }, (_, i) => -5 + 0.5 * i);
    const { stackId, zFocusTrue } = await addFakeStack(src, {
      slideId: slide.id,
      setupId: setup.id,
      z,
      fake: { seed: 31, focusJitterUm: 0.4, width: 96, height: 64 },
    });
    const dir = tempDir('tiffs');
    await exportStackOmeTiff(src, stackId, path.join(dir, 'field7.ome.tif'));
    src.close();
    const r = await importDataset({ db: ds, path: dir, format: 'tiff-stack', setupId: '20x', zStartUm: -5 });
    expect(r.stacks).toHaveLength(1);
    expect(r.stacks[0]).toMatchObject({ key: 'field7', planes: 21, zFocusSource: 'fit' });
    expect(Math.abs(r.stacks[0].zFocusUm! - zFocusTrue)).toBeLessThan(0.25);
    const zs = (
      ds.db.prepare('SELECT z_um FROM images WHERE stack_id = ? ORDER BY plane_index').all(r.stacks[0].id) as {
        z_um: number;
      }[]
    ).map((x) => x.z_um);
    expect(zs[0]).toBeCloseTo(-5, 9);
    expect(zs[20]).toBeCloseTo(5, 9);
  });

  it('a stack of 16-bit files that end below 4096 is 12-bit camera data: recorded as 12-bit, so the export scales it', async () => {
    const dir = tempDir('cam12');
    for (const [key, shift] of [
      ['twelve', 4],
      ['sixteen', 0],
    ] as const) {
      for (const d of [-2, -1, 0, 1, 2]) {
        const f = tissueFrame(d, 96, 64, { bitDepth: 16 });
        const data = Uint16Array.from(f.data as Uint16Array, (v) => v >> shift);
        await sharp(data, { raw: { width: 96, height: 64, channels: 3 } })
          .toColourspace('rgb16')
          .png()
          .toFile(path.join(dir, `${key}_${d}.png`));
      }
    }
    const r = await importByDefocus(ds, dir, 'cam12');
    const depth = (key: string) =>
      (
        ds.db
          .prepare('SELECT DISTINCT i.bit_depth AS d FROM images i JOIN stacks s ON s.id = i.stack_id WHERE s.id = ?')
          .all(r.stacks.find((x) => x.key === key)!.id) as { d: number }[]
      ).map((x) => x.d);
    expect(depth('twelve')).toEqual([12]);
    expect(depth('sixteen')).toEqual([16]);
  });

  it('32-bit float files (ImageJ) are stored as the 16-bit image they hold, not cast to black; a float z-stack alike', async () => {
    const dir = tempDir('float32');
    const w = 96;
    const h = 64;
    const unitOf = (d: number) =>
      Float32Array.from(tissueFrame(d, w, h, { channels: 1, bitDepth: 16 }).data, (v) => v / 65535);
    for (const d of [-2, -1, 0, 1, 2]) fs.writeFileSync(path.join(dir, `flat_${d}.tif`), wideTiff(w, h, [unitOf(d)]));
    const r = await importByDefocus(ds, dir, 'float32');
    const rows = ds.db
      .prepare(
        'SELECT i.file, i.bit_depth, i.channels, i.defocus_um FROM images i WHERE i.stack_id = ? ORDER BY i.defocus_um',
      )
      .all(r.stacks[0].id) as { file: string; bit_depth: number; channels: number; defocus_um: number }[];
    expect(rows.map((x) => x.defocus_um)).toEqual([-2, -1, 0, 1, 2]);
    const stored = path.join(ds.imagesDir, rows[2].file);
    const meta = await sharp(stored).metadata();
    expect([meta.format, meta.depth, rows[2].bit_depth, rows[2].channels]).toEqual(['png', 'ushort', 16, 1]);
    // the in-focus plane's samples, as the float file holds them times 65535
    const raw = await sharp(stored).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
    const got = new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
    const want = unitOf(0);
    let worst = 0;
    for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k] - want[k] * 65535));
    expect(worst).toBeLessThanOrEqual(1);

    // a two-page stack of float counts whose pages fall in different bit classes (12 and 14 bits): one scale for both
    const counts = unitOf(0).map((v) => v * 4095);
    fs.mkdirSync(path.join(dir, 'stack'));
    const stackFile = path.join(dir, 'stack', 'counts.tif');
    fs.writeFileSync(stackFile, wideTiff(w, h, [counts.map((v) => v * 0.9), counts.map((v) => v * 1.2)]));
    const s = await importDataset({ db: ds, path: stackFile, format: 'tiff-stack', setupId: '20x', stepUm: 1 });
    const files = (
      ds.db.prepare('SELECT file FROM images WHERE stack_id = ? ORDER BY plane_index').all(s.stacks[0].id) as {
        file: string;
      }[]
    ).map((x) => path.join(ds.imagesDir, x.file));
    const means = await Promise.all(files.map(async (f) => (await sharp(f).stats()).channels[0].mean));
    expect(means[1] / means[0]).toBeCloseTo(1.2 / 0.9, 2);
  });

  describe('bad input: one clear message, dataset unchanged', () => {
    function copyJiang(name: string): string {
      const dir = tempDir(name);
      fs.cpSync(JIANG, dir, { recursive: true });
      return dir;
    }

    it('a truncated JPEG', async () => {
      const dir = copyJiang('trunc');
      const f = path.join(dir, 'train/s2_l3/Seg1_defocus500.jpg');
      fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 700));
      const before = snapshot(ds);
      await expectRefused(
        importDataset({ db: ds, path: dir, format: 'jiang2018', setupId: '20x', defocusSign: -1 }),
        'bad-input',
        /Seg1_defocus500\.jpg.*(truncated|damaged|not a readable)/,
      );
      expect(snapshot(ds)).toEqual(before);
    });

    it('an unreadable file', async () => {
      const dir = copyJiang('garbage');
      fs.writeFileSync(path.join(dir, 'train/s1_l1/Seg2_defocus0.jpg'), 'not a jpeg at all');
      const before = snapshot(ds);
      await expectRefused(
        importDataset({ db: ds, path: dir, format: 'jiang2018', setupId: '20x', defocusSign: -1 }),
        'bad-input',
        /Seg2_defocus0\.jpg is not a readable image/,
      );
      expect(snapshot(ds)).toEqual(before);
    });

    it('a wrong layout, a missing folder, a TIFF without a step, an unknown setup', async () => {
      const before = snapshot(ds);
      await expectRefused(
        importDataset({ db: ds, path: WAFER, format: 'jiang2018', setupId: '20x' }),
        'bad-input',
        /no Jiang et al\. 2018 images.*expected s<seg>_l<loc>/,
      );
      await expectRefused(
        importDataset({ db: ds, path: JIANG, format: 'filenames', pattern: '^nothing(?<value>\\d+)$', setupId: '20x' }),
        'bad-input',
        /matches the file-name pattern/,
      );
      await expectRefused(
        importDataset({ db: ds, path: '/nonexistent/folder', format: 'jiang2018', setupId: '20x' }),
        'bad-input',
        /does not exist/,
      );
      await expectRefused(
        importDataset({ db: ds, path: JIANG, format: 'jiang2018', setupId: '63x' }),
        'bad-input',
        /setup "63x"/,
      );
      const dir = tempDir('tiff-nostep');
      const sharp = (await import('sharp')).default;
      const pages = [0, 1, 2].map((i) =>
        sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 10 * i, g: 0, b: 0 } } }),
      );
      const bufs = await Promise.all(pages.map((p) => p.png().toBuffer()));
      await sharp(bufs, { join: { animated: true } })
        .tiff()
        .toFile(path.join(dir, 'plain.tif'));
      await expectRefused(
        importDataset({ db: ds, path: dir, format: 'tiff-stack', setupId: '20x' }),
        'bad-input',
        /give the z step/,
      );
      expect(snapshot(ds)).toEqual(before);
    });
  });
});
