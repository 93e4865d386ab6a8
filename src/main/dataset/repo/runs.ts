/** SQL for acquisition / import runs: parameters, state, resume cursor. */
import type Database from 'better-sqlite3';
import type { RunState } from '../../../shared/dataset';
import { nowIso } from '../db';

export interface RunCursor {
  positionIndex: number;
  planeIndex: number;
}

export interface Run {
  id: number;
  kind: 'acquisition' | 'import';
  slideId: number | null;
  setupId: string | null;
  params: unknown;
  state: RunState;
  cursor: RunCursor | null;
  planesTotal: number;
  planesDone: number;
  ownerPid: number | null;
  error: string | null;
  source: string;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

interface RunRow {
  id: number;
  kind: 'acquisition' | 'import';
  slide_id: number | null;
  setup_id: string | null;
  params: string;
  state: RunState;
  cursor: string | null;
  planes_total: number;
  planes_done: number;
  owner_pid: number | null;
  error: string | null;
  source: string;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

const toRun = (r: RunRow): Run => ({
  id: r.id,
  kind: r.kind,
  slideId: r.slide_id,
  setupId: r.setup_id,
  params: JSON.parse(r.params),
  state: r.state,
  cursor: r.cursor ? (JSON.parse(r.cursor) as RunCursor) : null,
  planesTotal: r.planes_total,
  planesDone: r.planes_done,
  ownerPid: r.owner_pid,
  error: r.error,
  source: r.source,
  startedAt: r.started_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

export interface RunInput {
  kind: 'acquisition' | 'import';
  slideId?: number | null;
  setupId?: string | null;
  params: unknown;
  planesTotal: number;
  source: string;
}

export function createRun(db: Database.Database, r: RunInput): Run {
  const now = nowIso();
  const info = db
    .prepare(
      `INSERT INTO runs (kind, slide_id, setup_id, params, state, cursor, planes_total, planes_done, owner_pid, source,
         started_at, updated_at)
       VALUES (?, ?, ?, ?, 'running', ?, ?, 0, ?, ?, ?, ?)`,
    )
    .run(
      r.kind,
      r.slideId ?? null,
      r.setupId ?? null,
      JSON.stringify(r.params),
      JSON.stringify({ positionIndex: 0, planeIndex: 0 }),
      r.planesTotal,
      process.pid,
      r.source,
      now,
      now,
    );
  return getRun(db, Number(info.lastInsertRowid))!;
}

export function getRun(db: Database.Database, id: number): Run | undefined {
  const r = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
  return r && toRun(r);
}

export function listRuns(db: Database.Database, kind?: 'acquisition' | 'import'): Run[] {
  const rows = kind
    ? (db.prepare('SELECT * FROM runs WHERE kind = ? ORDER BY id').all(kind) as RunRow[])
    : (db.prepare('SELECT * FROM runs ORDER BY id').all() as RunRow[]);
  return rows.map(toRun);
}

/** Records progress: called inside the plane's transaction so the cursor never disagrees with the stored images. */
export function advanceRun(db: Database.Database, id: number, cursor: RunCursor, planesDone: number): void {
  db.prepare('UPDATE runs SET cursor = ?, planes_done = ?, updated_at = ? WHERE id = ?').run(
    JSON.stringify(cursor),
    planesDone,
    nowIso(),
    id,
  );
}

export function setRunState(
  db: Database.Database,
  id: number,
  state: RunState,
  opts: { error?: string | null; ownerPid?: number | null } = {},
): void {
  const finished = state === 'completed' || state === 'cancelled' || state === 'failed';
  db.prepare(
    `UPDATE runs SET state = ?, error = ?, owner_pid = ?, updated_at = ?,
       finished_at = CASE WHEN ? THEN ? ELSE NULL END WHERE id = ?`,
  ).run(state, opts.error ?? null, opts.ownerPid ?? null, nowIso(), finished ? 1 : 0, nowIso(), id);
}

export function countRunsByState(db: Database.Database): Record<string, number> {
  const rows = db.prepare('SELECT state, COUNT(*) AS n FROM runs GROUP BY state').all() as {
    state: string;
    n: number;
  }[];
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}
