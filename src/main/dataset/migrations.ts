/**
 * Versioned schema migrations. PRAGMA user_version holds the version; each migration and its version bump run in
 * one transaction, so a crash mid-migration leaves the previous version intact.
 * Append new migrations; never edit a released one.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const V1 = `
CREATE TABLE slides (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  sample      TEXT,
  stain       TEXT,
  notes       TEXT,
  created_at  TEXT NOT NULL
);

CREATE TABLE setups (
  id                    TEXT PRIMARY KEY,
  name                  TEXT NOT NULL,
  magnification         REAL NOT NULL CHECK (magnification > 0),
  na                    REAL NOT NULL CHECK (na > 0),
  immersion             TEXT NOT NULL DEFAULT 'air',
  immersion_index       REAL NOT NULL DEFAULT 1.0,
  condenser_sigma       REAL,
  camera_pixel_pitch_um REAL,
  pixel_size_um         REAL NOT NULL CHECK (pixel_size_um > 0),
  camera                TEXT,
  notes                 TEXT,
  created_at            TEXT NOT NULL
);

-- An acquisition (or import) run: its parameters, its state and where to resume.
CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('acquisition', 'import')),
  slide_id       INTEGER REFERENCES slides(id),
  setup_id       TEXT REFERENCES setups(id),
  params         TEXT NOT NULL,              -- JSON
  state          TEXT NOT NULL CHECK (state IN ('running','paused','interrupted','completed','cancelled','failed')),
  cursor         TEXT,                        -- JSON {positionIndex, planeIndex}: next plane to capture
  planes_total   INTEGER NOT NULL DEFAULT 0,
  planes_done    INTEGER NOT NULL DEFAULT 0,
  owner_pid      INTEGER,
  error          TEXT,
  source         TEXT NOT NULL,
  started_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  finished_at    TEXT
);

CREATE TABLE stacks (
  id                  INTEGER PRIMARY KEY,
  run_id              INTEGER REFERENCES runs(id),
  slide_id            INTEGER NOT NULL REFERENCES slides(id),
  setup_id            TEXT NOT NULL REFERENCES setups(id),
  position_index      INTEGER,
  key                 TEXT,                   -- field key of imported stacks (e.g. ix000_iy025)
  x_um                REAL,
  y_um                REAL,
  z0_um               REAL,
  state               TEXT NOT NULL DEFAULT 'acquiring' CHECK (state IN ('acquiring','complete')),
  z_focus_um          REAL,                   -- effective z_focus (operator override included)
  z_focus_source      TEXT CHECK (z_focus_source IN ('fit','given','operator','autofocus-verified')),
  focus_method        TEXT,                   -- JSON FocusLabel: metric, fit, n points, residual, QC
  auto_z_focus_um     REAL,                   -- what the automatic labelling found (kept across overrides)
  auto_z_focus_source TEXT,                   -- fit | given | autofocus-verified
  qc_verdict          TEXT CHECK (qc_verdict IN ('pass','warn','fail')),
  qc_flags            TEXT NOT NULL DEFAULT '[]',
  operator_status     TEXT NOT NULL DEFAULT 'auto' CHECK (operator_status IN ('auto','accepted','overridden','excluded')),
  operator_note       TEXT,
  render_params       TEXT,                   -- JSON: random render parameters of synthetic data
  source              TEXT NOT NULL,          -- sim | acquired | import:<format> | autofocus
  created_at          TEXT NOT NULL,
  UNIQUE (run_id, position_index)
);
CREATE INDEX stacks_setup ON stacks(setup_id);
CREATE INDEX stacks_slide ON stacks(slide_id);
CREATE UNIQUE INDEX stacks_import_key ON stacks(slide_id, key) WHERE key IS NOT NULL;

CREATE TABLE images (
  id            INTEGER PRIMARY KEY,
  stack_id      INTEGER NOT NULL REFERENCES stacks(id) ON DELETE CASCADE,
  plane_index   INTEGER NOT NULL,
  z_um          REAL NOT NULL,
  defocus_um    REAL,                         -- label d = z - z_focus (NULL until labelled)
  exposure_ms   REAL,
  file          TEXT NOT NULL,                -- relative to the dataset folder, forward slashes
  sha256        TEXT NOT NULL,
  format        TEXT NOT NULL,                -- png | tiff | jpeg
  bytes         INTEGER NOT NULL,
  width         INTEGER NOT NULL,
  height        INTEGER NOT NULL,
  channels      INTEGER NOT NULL CHECK (channels IN (1, 3)),
  bit_depth     INTEGER NOT NULL CHECK (bit_depth IN (8, 12, 16)),
  sharp_norm_variance      REAL,
  sharp_brenner            REAL,
  sharp_tenengrad          REAL,
  sharp_laplacian_variance REAL,
  meta          TEXT,                         -- JSON (e.g. simulator truth, original file name)
  captured_at   TEXT NOT NULL,
  UNIQUE (stack_id, plane_index),
  UNIQUE (stack_id, sha256)
);
CREATE INDEX images_sha ON images(sha256);

CREATE TABLE models (
  id            TEXT PRIMARY KEY,             -- model card id (= file stem)
  name          TEXT NOT NULL,
  architecture  TEXT NOT NULL,
  file          TEXT NOT NULL,
  sha256        TEXT NOT NULL,
  setup_id      TEXT REFERENCES setups(id),
  card          TEXT NOT NULL,                -- JSON model card
  installed_at  TEXT NOT NULL
);

CREATE TABLE autofocus_runs (
  id                   INTEGER PRIMARY KEY,
  setup_id             TEXT REFERENCES setups(id),
  slide_id             INTEGER REFERENCES slides(id),
  model_id             TEXT REFERENCES models(id),
  method               TEXT NOT NULL,         -- cnn | classic-sweep | cnn+sweep-fallback ...
  x_um                 REAL,
  y_um                 REAL,
  z_start_um           REAL NOT NULL,
  z_end_um             REAL NOT NULL,
  predicted_defocus_um REAL,
  confidence           REAL,
  predictions          TEXT,                  -- JSON per-patch predictions
  moves                TEXT,                  -- JSON list of moves
  verified_residual_um REAL,
  time_ms              REAL,
  hard_example         INTEGER NOT NULL DEFAULT 0 CHECK (hard_example IN (0, 1)),
  stack_id             INTEGER REFERENCES stacks(id),  -- the saved first frame of a hard example, labelled
  notes                TEXT,
  created_at           TEXT NOT NULL
);
`;

export const MIGRATIONS: Migration[] = [{ version: 1, name: 'initial schema', sql: V1 }];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Applies every migration above the database's user_version, each in its own transaction. */
export function migrate(db: Database.Database): number {
  let version = db.pragma('user_version', { simple: true }) as number;
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    version = m.version;
  }
  return version;
}
