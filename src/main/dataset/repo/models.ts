/** SQL for installed models (ONNX file + model card). */
import type Database from 'better-sqlite3';
import { nowIso } from '../db';

export interface ModelInput {
  id: string;
  name: string;
  architecture: string;
  file: string;
  sha256: string;
  setupId?: string | null;
  card: unknown;
}

export interface ModelRow {
  id: string;
  name: string;
  architecture: string;
  file: string;
  sha256: string;
  setup_id: string | null;
  card: string;
  installed_at: string;
}

export function upsertModel(db: Database.Database, m: ModelInput): void {
  db.prepare(
    `INSERT INTO models (id, name, architecture, file, sha256, setup_id, card, installed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, architecture = excluded.architecture, file = excluded.file,
       sha256 = excluded.sha256, setup_id = excluded.setup_id, card = excluded.card`,
  ).run(m.id, m.name, m.architecture, m.file, m.sha256, m.setupId ?? null, JSON.stringify(m.card), nowIso());
}

export function listModels(db: Database.Database): ModelRow[] {
  return db.prepare('SELECT * FROM models ORDER BY id').all() as ModelRow[];
}
