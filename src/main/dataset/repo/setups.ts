/** SQL for optical setups. */
import type Database from 'better-sqlite3';
import { SetupSchema, type Setup, type SetupInput } from '../../../shared/dataset';
import { nowIso } from '../db';
import { DatasetError } from '../errors';

interface SetupRow {
  id: string;
  name: string;
  magnification: number;
  na: number;
  immersion: string;
  immersion_index: number;
  condenser_sigma: number | null;
  camera_pixel_pitch_um: number | null;
  pixel_size_um: number;
  camera: string | null;
  notes: string | null;
}

const toSetup = (r: SetupRow): Setup => ({
  id: r.id,
  name: r.name,
  magnification: r.magnification,
  na: r.na,
  immersion: r.immersion as Setup['immersion'],
  immersionIndex: r.immersion_index,
  condenserSigma: r.condenser_sigma,
  cameraPixelPitchUm: r.camera_pixel_pitch_um,
  pixelSizeUm: r.pixel_size_um,
  camera: r.camera,
  notes: r.notes,
});

/** Inserts or updates a setup (id is the key used by models and exports, e.g. "20x"). */
export function upsertSetup(db: Database.Database, input: SetupInput): Setup {
  const parsed = SetupSchema.safeParse(input);
  if (!parsed.success) {
    throw new DatasetError(
      'bad-input',
      `invalid optical setup: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const s = parsed.data;
  db.prepare(
    `INSERT INTO setups (id, name, magnification, na, immersion, immersion_index, condenser_sigma,
       camera_pixel_pitch_um, pixel_size_um, camera, notes, created_at)
     VALUES (@id, @name, @magnification, @na, @immersion, @immersionIndex, @condenserSigma,
       @cameraPixelPitchUm, @pixelSizeUm, @camera, @notes, @createdAt)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, magnification = excluded.magnification, na = excluded.na,
       immersion = excluded.immersion, immersion_index = excluded.immersion_index,
       condenser_sigma = excluded.condenser_sigma, camera_pixel_pitch_um = excluded.camera_pixel_pitch_um,
       pixel_size_um = excluded.pixel_size_um, camera = excluded.camera, notes = excluded.notes`,
  ).run({ ...s, createdAt: nowIso() });
  return getSetup(db, s.id)!;
}

export function getSetup(db: Database.Database, id: string): Setup | undefined {
  const r = db.prepare('SELECT * FROM setups WHERE id = ?').get(id) as SetupRow | undefined;
  return r && toSetup(r);
}

export function requireSetup(db: Database.Database, id: string): Setup {
  const s = getSetup(db, id);
  if (!s) throw new DatasetError('bad-input', `optical setup "${id}" is not in the dataset; add it first`);
  return s;
}

export function listSetups(db: Database.Database): Setup[] {
  return (db.prepare('SELECT * FROM setups ORDER BY id').all() as SetupRow[]).map(toSetup);
}
