/** SQL for stacks: one lateral position, its z_focus, how it was found, QC and the operator's decision. */
import type Database from 'better-sqlite3';
import type {
  FocusLabel,
  OperatorStatus,
  QcFlag,
  QcVerdict,
  StackDecision,
  StackSummary,
  ZFocusSource,
} from '../../../shared/dataset';
import { nowIso } from '../db';
import { DatasetError } from '../errors';
import { relabelImages } from './images';

export interface StackInput {
  runId?: number | null;
  slideId: number;
  setupId: string;
  positionIndex?: number | null;
  key?: string | null;
  xUm?: number | null;
  yUm?: number | null;
  z0Um?: number | null;
  renderParams?: Record<string, unknown> | null;
  source: string;
}

export interface StackRow {
  id: number;
  run_id: number | null;
  slide_id: number;
  setup_id: string;
  position_index: number | null;
  key: string | null;
  x_um: number | null;
  y_um: number | null;
  z0_um: number | null;
  state: 'acquiring' | 'complete';
  z_focus_um: number | null;
  z_focus_source: ZFocusSource | null;
  focus_method: string | null;
  auto_z_focus_um: number | null;
  auto_z_focus_source: ZFocusSource | null;
  qc_verdict: QcVerdict | null;
  qc_flags: string;
  operator_status: OperatorStatus;
  operator_note: string | null;
  render_params: string | null;
  source: string;
  created_at: string;
}

export function createStack(db: Database.Database, s: StackInput): number {
  const info = db
    .prepare(
      `INSERT INTO stacks (run_id, slide_id, setup_id, position_index, key, x_um, y_um, z0_um, render_params, source,
         created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      s.runId ?? null,
      s.slideId,
      s.setupId,
      s.positionIndex ?? null,
      s.key ?? null,
      s.xUm ?? null,
      s.yUm ?? null,
      s.z0Um ?? null,
      s.renderParams ? JSON.stringify(s.renderParams) : null,
      s.source,
      nowIso(),
    );
  return Number(info.lastInsertRowid);
}

export function getStackRow(db: Database.Database, id: number): StackRow | undefined {
  return db.prepare('SELECT * FROM stacks WHERE id = ?').get(id) as StackRow | undefined;
}

export function requireStackRow(db: Database.Database, id: number): StackRow {
  const r = getStackRow(db, id);
  if (!r) throw new DatasetError('bad-input', `stack ${id} does not exist`);
  return r;
}

export function findRunStack(db: Database.Database, runId: number, positionIndex: number): StackRow | undefined {
  return db.prepare('SELECT * FROM stacks WHERE run_id = ? AND position_index = ?').get(runId, positionIndex) as
    StackRow | undefined;
}

export function listRunStacks(db: Database.Database, runId: number): StackRow[] {
  return db.prepare('SELECT * FROM stacks WHERE run_id = ? ORDER BY position_index').all(runId) as StackRow[];
}

export function markStackComplete(db: Database.Database, id: number): void {
  db.prepare("UPDATE stacks SET state = 'complete' WHERE id = ?").run(id);
}

/**
 * Stores the automatic label (fit or given) and relabels every image, in one transaction.
 * An operator override survives: the automatic z_focus is kept beside it.
 */
export function storeAutoLabel(
  db: Database.Database,
  id: number,
  label: FocusLabel,
  source: Exclude<ZFocusSource, 'operator'>,
  /** For 'given' labels: the known z_focus (the fit in `label` is then only a QC cross-check). */
  givenZFocusUm?: number,
): void {
  const zFocus = source === 'given' && givenZFocusUm !== undefined ? givenZFocusUm : label.zFocusUm;
  db.transaction(() => {
    const row = requireStackRow(db, id);
    db.prepare(
      `UPDATE stacks SET auto_z_focus_um = ?, auto_z_focus_source = ?, focus_method = ?, qc_verdict = ?, qc_flags = ?
       WHERE id = ?`,
    ).run(zFocus, source, JSON.stringify(label), label.qc, JSON.stringify(label.flags), id);
    if (row.operator_status !== 'overridden') {
      db.prepare('UPDATE stacks SET z_focus_um = ?, z_focus_source = ? WHERE id = ?').run(zFocus, source, id);
      relabelImages(db, id, zFocus);
    }
  })();
}

/** The operator's accept / override / exclude / reset, with the labels rewritten to match. */
export function decideStack(db: Database.Database, id: number, d: StackDecision): void {
  db.transaction(() => {
    const row = requireStackRow(db, id);
    const note = 'note' in d ? (d.note ?? null) : null;
    if (d.action === 'override') {
      if (!Number.isFinite(d.zFocusUm)) throw new DatasetError('bad-input', 'override: z_focus must be a number (um)');
      db.prepare(
        `UPDATE stacks SET operator_status = 'overridden', operator_note = ?, z_focus_um = ?, z_focus_source = 'operator'
         WHERE id = ?`,
      ).run(note, d.zFocusUm, id);
      relabelImages(db, id, d.zFocusUm);
      return;
    }
    const status: OperatorStatus = d.action === 'accept' ? 'accepted' : d.action === 'exclude' ? 'excluded' : 'auto';
    // Reset always brings back the automatic label (also after override -> exclude); accepting an overridden
    // stack accepts the automatic label. Exclude keeps whatever label the stack had.
    const restore = d.action === 'reset' || (d.action === 'accept' && row.z_focus_source === 'operator');
    db.prepare('UPDATE stacks SET operator_status = ?, operator_note = ? WHERE id = ?').run(status, note, id);
    if (restore) {
      db.prepare('UPDATE stacks SET z_focus_um = ?, z_focus_source = ? WHERE id = ?').run(
        row.auto_z_focus_um,
        row.auto_z_focus_um === null ? null : row.auto_z_focus_source,
        id,
      );
      relabelImages(db, id, row.auto_z_focus_um);
    }
  })();
}

const SUMMARY_SQL = `
  SELECT s.*, sl.name AS slide_name, COUNT(i.id) AS n_images, MIN(i.z_um) AS z_min, MAX(i.z_um) AS z_max
  FROM stacks s JOIN slides sl ON sl.id = s.slide_id LEFT JOIN images i ON i.stack_id = s.id`;

type SummaryRow = StackRow & { slide_name: string; n_images: number; z_min: number | null; z_max: number | null };

const toSummary = (r: SummaryRow): StackSummary => ({
  id: r.id,
  runId: r.run_id,
  slideId: r.slide_id,
  slideName: r.slide_name,
  setupId: r.setup_id,
  positionIndex: r.position_index,
  key: r.key,
  xUm: r.x_um,
  yUm: r.y_um,
  zFocusUm: r.z_focus_um,
  zFocusSource: r.z_focus_source,
  qcVerdict: r.qc_verdict,
  qcFlags: JSON.parse(r.qc_flags) as QcFlag[],
  operatorStatus: r.operator_status,
  nImages: r.n_images,
  zMinUm: r.z_min,
  zMaxUm: r.z_max,
  source: r.source,
  state: r.state,
  createdAt: r.created_at,
});

export interface StackFilter {
  setupId?: string;
  slideId?: number;
  runId?: number;
}

export function listStacks(db: Database.Database, f: StackFilter = {}): StackSummary[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (f.setupId !== undefined) {
    where.push('s.setup_id = ?');
    args.push(f.setupId);
  }
  if (f.slideId !== undefined) {
    where.push('s.slide_id = ?');
    args.push(f.slideId);
  }
  if (f.runId !== undefined) {
    where.push('s.run_id = ?');
    args.push(f.runId);
  }
  const sql = `${SUMMARY_SQL} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY s.id ORDER BY s.id`;
  return (db.prepare(sql).all(...args) as SummaryRow[]).map(toSummary);
}

export function getStack(db: Database.Database, id: number): StackSummary | undefined {
  const r = db.prepare(`${SUMMARY_SQL} WHERE s.id = ? GROUP BY s.id`).get(id) as SummaryRow | undefined;
  return r && toSummary(r);
}

export function stackFocusLabel(row: StackRow): FocusLabel | null {
  return row.focus_method ? (JSON.parse(row.focus_method) as FocusLabel) : null;
}

export interface StackPageFilter extends StackFilter {
  /** A QC verdict, or 'unlabelled' for stacks without one. */
  verdict?: QcVerdict | 'unlabelled';
  operator?: OperatorStatus;
}

function pageWhere(f: StackPageFilter): { sql: string; args: (string | number)[] } {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const add = (clause: string, v?: string | number) => {
    where.push(clause);
    if (v !== undefined) args.push(v);
  };
  if (f.setupId !== undefined) add('s.setup_id = ?', f.setupId);
  if (f.slideId !== undefined) add('s.slide_id = ?', f.slideId);
  if (f.runId !== undefined) add('s.run_id = ?', f.runId);
  if (f.verdict === 'unlabelled') add('s.qc_verdict IS NULL');
  else if (f.verdict !== undefined) add('s.qc_verdict = ?', f.verdict);
  if (f.operator !== undefined) add('s.operator_status = ?', f.operator);
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', args };
}

/** One page of stacks (newest first) and how many match in all: the dataset browser's table. */
export function listStacksPage(
  db: Database.Database,
  f: StackPageFilter,
  offset: number,
  limit: number,
): { total: number; stacks: StackSummary[] } {
  const w = pageWhere(f);
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM stacks s ${w.sql}`).get(...w.args) as { n: number }).n;
  const rows = db
    .prepare(`${SUMMARY_SQL} ${w.sql} GROUP BY s.id ORDER BY s.id DESC LIMIT ? OFFSET ?`)
    .all(...w.args, limit, offset) as SummaryRow[];
  return { total, stacks: rows.map(toSummary) };
}
