/** SQL for autofocus runs (per-patch predictions, moves, verified residual, hard-example flag). */
import type Database from 'better-sqlite3';
import { nowIso } from '../db';

export interface AutofocusRunInput {
  setupId?: string | null;
  slideId?: number | null;
  modelId?: string | null;
  method: string;
  xUm?: number | null;
  yUm?: number | null;
  zStartUm: number;
  zEndUm: number;
  predictedDefocusUm?: number | null;
  confidence?: number | null;
  predictions?: unknown;
  moves?: unknown;
  verifiedResidualUm?: number | null;
  timeMs?: number | null;
  hardExample?: boolean;
  stackId?: number | null;
  notes?: string | null;
}

export interface AutofocusRunRow {
  id: number;
  setup_id: string | null;
  slide_id: number | null;
  model_id: string | null;
  method: string;
  x_um: number | null;
  y_um: number | null;
  z_start_um: number;
  z_end_um: number;
  predicted_defocus_um: number | null;
  confidence: number | null;
  predictions: string | null;
  moves: string | null;
  verified_residual_um: number | null;
  time_ms: number | null;
  hard_example: 0 | 1;
  stack_id: number | null;
  notes: string | null;
  created_at: string;
}

export function insertAutofocusRun(db: Database.Database, r: AutofocusRunInput): number {
  const info = db
    .prepare(
      `INSERT INTO autofocus_runs (setup_id, slide_id, model_id, method, x_um, y_um, z_start_um, z_end_um,
         predicted_defocus_um, confidence, predictions, moves, verified_residual_um, time_ms, hard_example, stack_id,
         notes, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      r.setupId ?? null,
      r.slideId ?? null,
      r.modelId ?? null,
      r.method,
      r.xUm ?? null,
      r.yUm ?? null,
      r.zStartUm,
      r.zEndUm,
      r.predictedDefocusUm ?? null,
      r.confidence ?? null,
      r.predictions === undefined ? null : JSON.stringify(r.predictions),
      r.moves === undefined ? null : JSON.stringify(r.moves),
      r.verifiedResidualUm ?? null,
      r.timeMs ?? null,
      r.hardExample ? 1 : 0,
      r.stackId ?? null,
      r.notes ?? null,
      nowIso(),
    );
  return Number(info.lastInsertRowid);
}

export function listAutofocusRuns(db: Database.Database): AutofocusRunRow[] {
  return db.prepare('SELECT * FROM autofocus_runs ORDER BY id').all() as AutofocusRunRow[];
}

/** Hard-example runs that saved a labelled frame (a one-image stack), by stack id. */
export function hardExampleStacks(db: Database.Database): Map<number, number> {
  const rows = db
    .prepare('SELECT id, stack_id FROM autofocus_runs WHERE hard_example = 1 AND stack_id IS NOT NULL')
    .all() as { id: number; stack_id: number }[];
  return new Map(rows.map((r) => [r.stack_id, r.id]));
}
