/** SQL for slides / samples. */
import type Database from 'better-sqlite3';
import type { Slide } from '../../../shared/dataset';
import { nowIso } from '../db';

interface SlideRow {
  id: number;
  name: string;
  sample: string | null;
  stain: string | null;
  notes: string | null;
  created_at: string;
}

const toSlide = (r: SlideRow): Slide => ({
  id: r.id,
  name: r.name,
  sample: r.sample,
  stain: r.stain,
  notes: r.notes,
  createdAt: r.created_at,
});

export interface SlideInput {
  name: string;
  sample?: string | null;
  stain?: string | null;
  notes?: string | null;
}

export function createSlide(db: Database.Database, s: SlideInput): Slide {
  const info = db
    .prepare('INSERT INTO slides (name, sample, stain, notes, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(s.name, s.sample ?? null, s.stain ?? null, s.notes ?? null, nowIso());
  return getSlide(db, Number(info.lastInsertRowid))!;
}

export function getSlide(db: Database.Database, id: number): Slide | undefined {
  const r = db.prepare('SELECT * FROM slides WHERE id = ?').get(id) as SlideRow | undefined;
  return r && toSlide(r);
}

export function findSlideByName(db: Database.Database, name: string): Slide | undefined {
  const r = db.prepare('SELECT * FROM slides WHERE name = ?').get(name) as SlideRow | undefined;
  return r && toSlide(r);
}

export function getOrCreateSlide(db: Database.Database, s: SlideInput): Slide {
  return findSlideByName(db, s.name) ?? createSlide(db, s);
}

export function listSlides(db: Database.Database): Slide[] {
  return (db.prepare('SELECT * FROM slides ORDER BY id').all() as SlideRow[]).map(toSlide);
}
