/**
 * `focus-station import` through the real CLI: the real wafer stacks (file names carry the signed defocus) and the
 * Jiang et al. 2018 layout fixture (defocus in nm) come in with the right signed labels; a second import of the
 * same images is refused and leaves the dataset as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../../helpers/datasetFixtures';
import { runCli, runCliJson } from './cli';

const WAFER = path.resolve(ROOT, '../shared/data/real-stacks/wafer-reflected');
const JIANG = path.join(ROOT, 'test/fixtures/jiang2018');

function labels(db: string, source: string) {
  const d = new Database(db, { readonly: true });
  try {
    return d
      .prepare(
        `SELECT i.defocus_um, i.z_um, i.meta, s.key, s.z_focus_um, s.z_focus_source FROM images i JOIN stacks s ON s.id = i.stack_id WHERE s.source = ?`,
      )
      .all(source) as {
      defocus_um: number;
      z_um: number;
      meta: string;
      key: string;
      z_focus_um: number;
      z_focus_source: string;
    }[];
  } finally {
    d.close();
  }
}

describe('import through the CLI', () => {
  const db = path.join(tempDir('cli-import'), 'lab.sqlite');

  it('imports the wafer stacks with the signed defocus of ground_truth.csv', async () => {
    const r = await runCliJson([
      'import',
      '--db',
      db,
      WAFER,
      '--format',
      'filenames',
      '--setup',
      '20x',
      '--slide-name',
      'wafer',
    ]);
    expect(r.images).toBe(32);
    expect(r.stacks.map((s: { key: string }) => s.key).sort()).toEqual(['ix000_iy025', 'ix000_iy026', 'ix000_iy027']);
    const truth = fs
      .readFileSync(path.join(WAFER, 'ground_truth.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const byName = new Map(labels(db, 'import:filenames').map((x) => [JSON.parse(x.meta).originalName as string, x]));
    expect(byName.size).toBe(truth.length);
    let negative = 0;
    for (const [file, field, d] of truth) {
      const row = byName.get(file)!;
      expect(row.key).toBe(field);
      expect(row.defocus_um).toBeCloseTo(Number(d), 9);
      expect([row.z_focus_um, row.z_focus_source]).toEqual([0, 'given']);
      if (row.defocus_um < 0) negative++;
    }
    expect(negative).toBeGreaterThan(5); // both signs present, none flipped to |d|
  });

  it('imports the Jiang 2018 layout with labels = nanometres / 1000, signed', async () => {
    const r = await runCliJson(['import', '--db', db, JIANG, '--format', 'jiang2018', '--setup', '20x']);
    expect(r.images).toBe(36);
    expect(r.stacks).toHaveLength(4);
    for (const row of labels(db, 'import:jiang2018')) {
      const nm = Number(/defocus(-?\d+)\.jpg$/.exec(JSON.parse(row.meta).originalName)![1]);
      expect(row.defocus_um).toBeCloseTo(nm / 1000, 12);
    }
    const stats = await runCliJson(['dataset', '--db', db, 'stats']);
    expect(stats).toMatchObject({ stacks: 7, images: 68 });
  });

  it('refuses a duplicate import with a clear message and leaves the dataset unchanged', async () => {
    const before = await runCliJson(['dataset', '--db', db, 'stats']);
    const again = await runCli(['import', '--db', db, JIANG, '--format', 'jiang2018', '--setup', '20x']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already in the dataset.*nothing was imported/);
    expect(await runCliJson(['dataset', '--db', db, 'stats'])).toEqual(before);
  });
});
