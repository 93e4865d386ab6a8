/**
 * Disk full and read-only dataset folders during an import. Real file systems where this machine allows it
 * (root: a tiny tmpfs, a read-only bind mount), and always a fault-injecting file layer (ENOSPC / EROFS after N
 * writes) so the rollback is tested on every machine.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDataset, type Dataset } from '../../../src/main/dataset/db';
import { DatasetError } from '../../../src/main/dataset/errors';
import { realFileOps, type FileOps } from '../../../src/main/dataset/imageStore';
import { importDataset } from '../../../src/main/dataset/import/importDataset';
import { ROOT, newDataset, seedSetupAndSlide, snapshot, tempDir } from '../../helpers/datasetFixtures';

const WAFER = path.resolve(ROOT, '../shared/data/real-stacks/wafer-reflected');
const JIANG = path.join(ROOT, 'test/fixtures/jiang2018');

function failingOps(afterWrites: number, code: 'ENOSPC' | 'EROFS'): FileOps & { writes: number } {
  const ops = {
    ...realFileOps,
    writes: 0,
    async writeDurable(file: string, data: Uint8Array) {
      if (ops.writes++ >= afterWrites) {
        // Like a real full disk: part of the file is written, then the write fails.
        fs.writeFileSync(file, data.subarray(0, Math.floor(data.length / 2)));
        const e = new Error(`${code}: simulated, write '${file}'`) as NodeJS.ErrnoException;
        e.code = code;
        e.path = file;
        throw e;
      }
      return realFileOps.writeDurable(file, data);
    },
  };
  return ops;
}

function tryMount(args: string[]): boolean {
  try {
    execFileSync('mount', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
});

async function expectRefused(p: Promise<unknown>, code: string, msg: RegExp) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatasetError);
  expect((err as DatasetError).code).toBe(code);
  expect((err as Error).message).toMatch(msg);
}

describe('import with a fault-injecting file layer', () => {
  const sets: Dataset[] = [];
  afterAll(() => sets.forEach((d) => d.close()));

  it.each([
    ['ENOSPC', 'disk-full', /disk is full/],
    ['EROFS', 'read-only', /not writable/],
  ] as const)(
    '%s after some files: clear message, files and rows rolled back',
    async (errno, code, msg) => {
      const ds = newDataset(`fault-${errno}`);
      sets.push(ds);
      seedSetupAndSlide(ds);
      await importDataset({ db: ds, path: JIANG, format: 'jiang2018', setupId: '20x' }); // something already there
      const before = snapshot(ds);
      const ops = failingOps(5, errno);
      await expectRefused(
        importDataset({ db: ds, path: WAFER, format: 'filenames', setupId: '20x', fileOps: ops }),
        code,
        msg,
      );
      expect(ops.writes).toBe(6);
      expect(snapshot(ds)).toEqual(before);
    },
    60_000,
  );
});

describe('import on real file systems (tmpfs)', () => {
  const probe = tempDir('mount-probe');
  const canMount = tryMount(['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
  if (canMount) execFileSync('umount', [probe]);

  it.skipIf(!canMount)(
    'a full disk: clear message, dataset as it was',
    async () => {
      const dir = tempDir('tmpfs-full');
      // Room for the database and the Jiang fixture, not for the 8 MB of wafer images.
      expect(tryMount(['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir])).toBe(true);
      mounts.push(dir);
      const ds = openDataset(path.join(dir, 'ds.sqlite'), { create: true });
      try {
        seedSetupAndSlide(ds);
        await importDataset({ db: ds, path: JIANG, format: 'jiang2018', setupId: '20x' });
        const before = snapshot(ds);
        await expectRefused(
          importDataset({ db: ds, path: WAFER, format: 'filenames', setupId: '20x' }),
          'disk-full',
          /disk is full/,
        );
        expect(snapshot(ds)).toEqual(before);
        expect(ds.db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        ds.close();
      }
    },
    60_000,
  );

  it.skipIf(!canMount)(
    'a read-only images folder, then a read-only dataset folder',
    async () => {
      const dir = tempDir('tmpfs-ro');
      expect(tryMount(['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir])).toBe(true);
      mounts.push(dir);
      const file = path.join(dir, 'ds.sqlite');
      const ds = openDataset(file, { create: true });
      try {
        seedSetupAndSlide(ds);
        await importDataset({ db: ds, path: JIANG, format: 'jiang2018', setupId: '20x' });
        const before = snapshot(ds);
        expect(
          tryMount(['--bind', '-o', 'ro', ds.imagesDir, ds.imagesDir]) ||
            tryMount(['-o', 'remount,ro,bind', ds.imagesDir]),
        ).toBe(true);
        mounts.push(ds.imagesDir);
        // Some kernels ignore ro on the first bind: make sure it is read-only now.
        tryMount(['-o', 'remount,ro,bind', ds.imagesDir]);
        await expectRefused(
          importDataset({ db: ds, path: WAFER, format: 'filenames', setupId: '20x' }),
          'read-only',
          /not writable/,
        );
        expect(snapshot(ds)).toEqual(before);
      } finally {
        ds.close();
        execFileSync('umount', [ds.imagesDir]);
        mounts.pop();
      }
      const bytes = fs.readFileSync(file);
      expect(tryMount(['-o', 'remount,ro', dir])).toBe(true);
      await expectRefused(
        Promise.resolve().then(() => openDataset(file)),
        'read-only',
        /read-only/,
      );
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    },
    60_000,
  );
});
