/** Dataset counts for `focus-station dataset --db <file> stats --json` and the dataset browser. */
import type Database from 'better-sqlite3';
import type { DatasetStats } from '../../shared/dataset';
import type { Dataset } from './db';
import { countRunsByState } from './repo/runs';

const count = (db: Database.Database, sql: string): number => (db.prepare(sql).get() as { n: number }).n;

export function datasetStats(ds: Dataset | Database.Database): DatasetStats {
  const db = 'db' in ds ? ds.db : ds;
  const bySetup = db
    .prepare(
      `SELECT st.id AS setupId, st.name AS name,
         (SELECT COUNT(*) FROM stacks s WHERE s.setup_id = st.id) AS stacks,
         (SELECT COUNT(*) FROM images i JOIN stacks s ON s.id = i.stack_id WHERE s.setup_id = st.id) AS images
       FROM setups st ORDER BY st.id`,
    )
    .all() as DatasetStats['bySetup'];
  const verdicts = db.prepare('SELECT qc_verdict AS v, COUNT(*) AS n FROM stacks GROUP BY qc_verdict').all() as {
    v: string | null;
    n: number;
  }[];
  const operator = db
    .prepare('SELECT operator_status AS s, COUNT(*) AS n FROM stacks GROUP BY operator_status')
    .all() as {
    s: string;
    n: number;
  }[];
  const v = (k: string | null) => verdicts.find((r) => r.v === k)?.n ?? 0;
  const o = (k: string) => operator.find((r) => r.s === k)?.n ?? 0;
  const byState = countRunsByState(db);
  return {
    slides: count(db, 'SELECT COUNT(*) AS n FROM slides'),
    stacks: count(db, 'SELECT COUNT(*) AS n FROM stacks'),
    images: count(db, 'SELECT COUNT(*) AS n FROM images'),
    bySetup,
    stacksByVerdict: { pass: v('pass'), warn: v('warn'), fail: v('fail'), unlabelled: v(null) },
    stacksByOperator: {
      auto: o('auto'),
      accepted: o('accepted'),
      overridden: o('overridden'),
      excluded: o('excluded'),
    },
    runs: { total: Object.values(byState).reduce((a, b) => a + b, 0), byState },
    autofocusRuns: count(db, 'SELECT COUNT(*) AS n FROM autofocus_runs'),
    hardExamples: count(db, 'SELECT COUNT(*) AS n FROM autofocus_runs WHERE hard_example = 1'),
    models: count(db, 'SELECT COUNT(*) AS n FROM models'),
    schemaVersion: db.pragma('user_version', { simple: true }) as number,
  };
}
