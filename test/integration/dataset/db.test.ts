import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDataset, imagesDirFor, type Dataset } from '../../../src/main/dataset/db';
import { DatasetError } from '../../../src/main/dataset/errors';
import { SCHEMA_VERSION } from '../../../src/main/dataset/migrations';
import { ImageStore } from '../../../src/main/dataset/imageStore';
import { insertImage } from '../../../src/main/dataset/repo/images';
import { createStack } from '../../../src/main/dataset/repo/stacks';
import { newDataset, seedSetupAndSlide, tempDir } from '../../helpers/datasetFixtures';

const open: Dataset[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
});

function expectCode(fn: () => unknown, code: string, msg?: RegExp) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe(code);
    if (msg) expect((err as Error).message).toMatch(msg);
    return;
  }
  throw new Error(`expected DatasetError ${code}`);
}

describe('openDataset', () => {
  it('creates a WAL database with foreign keys and the current schema, next to its images folder', () => {
    const ds = newDataset('create');
    open.push(ds);
    expect(ds.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(ds.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(ds.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(ds.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(ds.imagesDir).toBe(imagesDirFor(ds.file));
    expect(fs.statSync(ds.imagesDir).isDirectory()).toBe(true);
    const tables = (
      ds.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((r) => r.name);
    expect(tables).toEqual(['autofocus_runs', 'images', 'models', 'runs', 'setups', 'slides', 'stacks']);
  });

  it('refuses a missing file unless create is asked', () => {
    expectCode(() => openDataset(path.join(tempDir('missing'), 'nope.sqlite')), 'not-found');
  });

  it('reopens an existing dataset without migrating again', () => {
    const ds = newDataset('reopen');
    seedSetupAndSlide(ds);
    ds.close();
    const again = openDataset(ds.file);
    open.push(again);
    expect((again.db.prepare('SELECT COUNT(*) AS n FROM setups').get() as { n: number }).n).toBe(1);
  });

  it('refuses a database from a newer app version and leaves it byte-identical', () => {
    const file = path.join(tempDir('newer'), 'ds.sqlite');
    const raw = new Database(file);
    raw.exec('CREATE TABLE future (x)');
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const before = fs.readFileSync(file);
    expectCode(() => openDataset(file), 'newer-version', /newer FocusStation.*left untouched/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it('refuses a file that is not SQLite and leaves it byte-identical', () => {
    const file = path.join(tempDir('notdb'), 'ds.sqlite');
    fs.writeFileSync(file, 'this is a text file, not a database\n'.repeat(20));
    const before = fs.readFileSync(file);
    expectCode(() => openDataset(file), 'corrupt', /not an SQLite database/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a damaged database (integrity_check fails) and leaves it byte-identical', () => {
    const ds = newDataset('corrupt');
    const { slide } = seedSetupAndSlide(ds);
    const insert = ds.db.prepare('INSERT INTO slides (name, created_at) VALUES (?, ?)');
    for (let i = 0; i < 400; i++) insert.run(`slide-${i}-${'x'.repeat(200)}`, 'now');
    void slide;
    ds.db.pragma('wal_checkpoint(TRUNCATE)');
    ds.close();
    // Scribble over the middle of the file: b-tree pages are damaged, the header is intact.
    const buf = fs.readFileSync(ds.file);
    const page = 4096;
    for (let p = 2; p * page < buf.length - page; p += 3) buf.fill(0x5a, p * page + 8, p * page + 400);
    fs.writeFileSync(ds.file, buf);
    const before = fs.readFileSync(ds.file);
    expectCode(() => openDataset(ds.file), 'corrupt', /left untouched/);
    expect(fs.readFileSync(ds.file).equals(before)).toBe(true);
  });
});

describe('images', () => {
  it('refuses the same image twice in a stack, cleanly', async () => {
    const ds = newDataset('dup');
    open.push(ds);
    const { setup, slide } = seedSetupAndSlide(ds);
    const stackId = createStack(ds.db, { slideId: slide.id, setupId: setup.id, source: 'acquired' });
    const store = new ImageStore(ds.imagesDir);
    const f = await store.put(new Uint8Array([1, 2, 3, 4]), 'png');
    const img = {
      stackId,
      planeIndex: 0,
      zUm: 0,
      file: f.file,
      sha256: f.sha256,
      format: 'png',
      bytes: f.bytes,
      width: 1,
      height: 1,
      channels: 1 as const,
      bitDepth: 8 as const,
    };
    insertImage(ds.db, img);
    try {
      insertImage(ds.db, { ...img, planeIndex: 1 });
      throw new Error('expected duplicate');
    } catch (err) {
      expect((err as DatasetError).code).toBe('duplicate');
      expect((err as Error).message).toMatch(/already plane 0 of stack/);
    }
    expect((ds.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n).toBe(1);
  });

  it('writes images content-addressed, atomically, and verifies them by hash', async () => {
    const ds = newDataset('store');
    open.push(ds);
    const store = new ImageStore(ds.imagesDir);
    const data = new Uint8Array(1000).map((_, i) => i % 256);
    const a = await store.put(data, 'png');
    const b = await store.put(data, 'png');
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(a.file).toBe(`${a.sha256.slice(0, 2)}/${a.sha256}.png`);
    expect(await store.verify(a.file, a.sha256)).toBe(true);
    fs.appendFileSync(store.abs(a.file), 'x');
    expect(await store.verify(a.file, a.sha256)).toBe(false);
    const dir = path.dirname(store.abs(a.file));
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });
});
