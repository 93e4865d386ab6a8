/**
 * `focus-station acquire --sim` as a real child process, SIGKILLed in the middle of a stack (no cleanup runs, like a
 * power cut for the process), then restarted with --resume: the database passes integrity_check, every image is
 * readable and matches its hash, the run completes with every plane exactly once, and the resumed planes of the
 * interrupted stack were rendered with that stack's own recorded variant and true focus.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { imagesDirFor } from '../../../src/main/dataset/db';
import { ImageStore, listStoredFiles } from '../../../src/main/dataset/imageStore';
import { tempDir } from '../../helpers/datasetFixtures';
import { runCli, startCli } from './cli';

const ARGS = [
  '--sim',
  '--grid',
  '1x2',
  '--roi',
  '64x64',
  '--seed',
  '5',
  '--range',
  '-10:10:0.5',
  '--render-threads',
  '0',
];

function countImages(file: string): number {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet, or the schema is being written
  }
}

/** Starts the generation and SIGKILLs it once `atLeast` planes are committed. */
async function killMidStack(db: string, atLeast: number): Promise<number> {
  const { child, done } = startCli(['acquire', '--db', db, ...ARGS]);
  let n = 0;
  while (child.exitCode === null) {
    n = countImages(db);
    if (n >= atLeast) {
      child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const r = await done;
  expect(r.signal, `the child ended on its own: ${r.stderr}`).toBe('SIGKILL');
  return n;
}

describe('acquire --sim killed mid-stack and resumed', () => {
  it('resumes to a complete, intact run with no duplicates', async () => {
    const db = path.join(tempDir('cli-kill'), 'sim.sqlite');
    const seen = await killMidStack(db, 15);
    expect(seen).toBeGreaterThanOrEqual(15);
    {
      const d = new Database(db, { readonly: true });
      expect(d.pragma('integrity_check', { simple: true })).toBe('ok');
      const n = (d.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
      expect(n).toBeLessThan(41); // killed inside the first stack
      expect((d.prepare('SELECT state FROM runs').get() as { state: string }).state).toBe('running');
      d.close();
    }

    // The same command without --resume refuses to duplicate the generation.
    const refused = await runCli(['acquire', '--db', db, ...ARGS]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already generated with these settings.*resume/);

    const resumed = await runCli(['acquire', '--db', db, ...ARGS, '--resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = JSON.parse(resumed.stdout);
    expect(result).toMatchObject({ state: 'completed', planesStored: 82, planesTotal: 82, stacks: 2 });

    const d = new Database(db, { readonly: true });
    expect(d.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = d.prepare('SELECT stack_id, plane_index, file, sha256, width, height, meta FROM images').all() as {
      stack_id: number;
      plane_index: number;
      file: string;
      sha256: string;
      width: number;
      height: number;
      meta: string;
    }[];
    expect(rows).toHaveLength(82);
    const store = new ImageStore(imagesDirFor(db));
    for (const r of rows) {
      expect(await store.verify(r.file, r.sha256)).toBe(true);
      const raw = await sharp(store.abs(r.file), { failOn: 'warning' }).raw().toBuffer({ resolveWithObject: true });
      expect([raw.info.width, raw.info.height]).toEqual([r.width, r.height]);
    }
    expect(new Set(rows.map((r) => r.sha256)).size).toBe(82);
    const perStack = d
      .prepare(
        'SELECT stack_id, COUNT(*) AS n, COUNT(DISTINCT plane_index) AS planes, MIN(plane_index) AS lo, MAX(plane_index) AS hi FROM images GROUP BY stack_id',
      )
      .all() as { n: number; planes: number; lo: number; hi: number }[];
    expect(perStack.map((s) => [s.n, s.planes, s.lo, s.hi])).toEqual([
      [41, 41, 0, 40],
      [41, 41, 0, 40],
    ]);
    expect(d.prepare('SELECT state, planes_done, planes_total FROM runs').all()).toEqual([
      { state: 'completed', planes_done: 82, planes_total: 82 },
    ]);
    // Every plane of a stack, before and after the kill, saw that stack's recorded true focus.
    const stacks = d.prepare('SELECT id, state, qc_verdict, render_params FROM stacks').all() as {
      id: number;
      state: string;
      qc_verdict: string | null;
      render_params: string;
    }[];
    for (const s of stacks) {
      expect(s.state).toBe('complete');
      expect(s.qc_verdict).not.toBeNull();
      const rp = JSON.parse(s.render_params);
      expect(rp.variant).not.toBeNull();
      const focus = new Set(rows.filter((r) => r.stack_id === s.id).map((r) => JSON.parse(r.meta).zFocusUm));
      expect([...focus]).toEqual([rp.zFocusTrueUm]);
    }
    // No temp files; at most the planes that were in flight at the kill are left unreferenced.
    const files = listStoredFiles(imagesDirFor(db));
    expect(files.filter((f) => f.includes('.tmp'))).toEqual([]);
    const referenced = new Set(rows.map((r) => r.file));
    expect(files.filter((f) => !referenced.has(f)).length).toBeLessThanOrEqual(2);
    d.close();
  }, 240_000);
});
