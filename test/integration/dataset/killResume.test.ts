/**
 * Kills an acquisition process mid-stack (SIGKILL: no cleanup runs, like a power cut for the process), restarts it,
 * and checks the database and the images: integrity_check ok, every image readable and matching its hash, the run
 * completed with every plane exactly once.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { STORE_DEPTH } from '../../../src/main/acquisition/engine';
import { imagesDirFor } from '../../../src/main/dataset/db';
import { ImageStore, listStoredFiles } from '../../../src/main/dataset/imageStore';
import { ROOT, tempDir } from '../../helpers/datasetFixtures';

const CHILD = path.join(ROOT, 'test/helpers/acquireChild.ts');

/** Runs the child; kills it with SIGKILL once it has printed `killAfter` planes (or lets it finish). */
function runChild(db: string, mode: 'start' | 'resume', killAfter?: number) {
  return new Promise<{ lines: string[]; killed: boolean; code: number | null }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db, mode], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let err = '';
    let killed = false;
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        const m = /^PLANE (\d+)$/.exec(line);
        // A few ms later so the kill lands while the next plane is moving, snapping or being written.
        if (m && killAfter !== undefined && Number(m[1]) >= killAfter && !killed) {
          killed = true;
          setTimeout(() => child.kill('SIGKILL'), 3 + (Number(m[1]) % 7));
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      if (!killed && code !== 0) reject(new Error(`child failed (${code ?? sig}): ${err}`));
      else resolve({ lines, killed, code });
    });
  });
}

async function checkImages(db: Database.Database, imagesDir: string) {
  const store = new ImageStore(imagesDir);
  const rows = db.prepare('SELECT file, sha256, width, height FROM images').all() as {
    file: string;
    sha256: string;
    width: number;
    height: number;
  }[];
  for (const r of rows) {
    expect(await store.verify(r.file, r.sha256)).toBe(true);
    const m = await sharp(store.abs(r.file)).metadata();
    expect([m.width, m.height]).toEqual([r.width, r.height]);
    await sharp(store.abs(r.file), { failOn: 'warning' }).raw().toBuffer();
  }
  return rows;
}

describe('acquisition killed mid-stack', () => {
  it('resumes after SIGKILL (twice) with an intact database, verified images, no duplicates', async () => {
    const dbFile = path.join(tempDir('kill'), 'ds.sqlite');
    const imagesDir = imagesDirFor(dbFile);

    const first = await runChild(dbFile, 'start', 17);
    expect(first.killed).toBe(true);
    {
      const db = new Database(dbFile, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const n = (db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
      expect(n).toBeGreaterThanOrEqual(17);
      expect(n).toBeLessThan(82);
      expect((db.prepare('SELECT state FROM runs').get() as { state: string }).state).toBe('running');
      await checkImages(db, imagesDir);
      db.close();
    }

    const second = await runChild(dbFile, 'resume', 55); // killed again, in the second stack
    expect(second.killed).toBe(true);

    const last = await runChild(dbFile, 'resume');
    const done = last.lines.find((l) => l.startsWith('DONE'));
    expect(done).toMatch(/^DONE completed \d+ 82$/);

    const db = new Database(dbFile, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = await checkImages(db, imagesDir);
    expect(rows).toHaveLength(82);
    const perStack = db
      .prepare(
        'SELECT stack_id, COUNT(*) AS n, COUNT(DISTINCT plane_index) AS planes, MIN(plane_index) AS lo, MAX(plane_index) AS hi FROM images GROUP BY stack_id',
      )
      .all() as { n: number; planes: number; lo: number; hi: number }[];
    expect(perStack).toHaveLength(2);
    for (const s of perStack) expect([s.n, s.planes, s.lo, s.hi]).toEqual([41, 41, 0, 40]);
    expect(new Set(rows.map((r) => r.sha256)).size).toBe(82);
    const run = db.prepare('SELECT state, planes_done, planes_total FROM runs').get();
    expect(run).toEqual({ state: 'completed', planes_done: 82, planes_total: 82 });
    const stacks = db.prepare('SELECT state, qc_verdict, z_focus_um FROM stacks').all() as {
      state: string;
      qc_verdict: string;
      z_focus_um: number;
    }[];
    for (const s of stacks) {
      expect(s.state).toBe('complete');
      expect(s.qc_verdict).not.toBeNull();
    }
    // No temp files left; at most STORE_DEPTH renamed-but-uncommitted files per kill (the planes in flight).
    const files = listStoredFiles(imagesDir);
    expect(files.filter((f) => f.includes('.tmp'))).toEqual([]);
    const referenced = new Set(rows.map((r) => r.file));
    expect(files.filter((f) => !referenced.has(f)).length).toBeLessThanOrEqual(2 * STORE_DEPTH);
    db.close();
  }, 180_000);
});
