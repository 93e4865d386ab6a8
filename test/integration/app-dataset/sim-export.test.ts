/**
 * A synthetic dataset made by `focus-station acquire --sim` (ten stained slides x 2 positions, domain
 * randomisation on) and exported by `focus-station export --patches`:
 *  - 41 labelled planes per stack, labels d = z - z_focus, split by stack with no stack on both sides;
 *  - the automatic labels agree with the simulator's truth within 0.25 um for >= 95% of stacks (issue acceptance).
 *
 * Which truth: the simulator reports the PARAXIAL focus; with the randomised spherical aberration (up to 0.25 waves)
 * the sharpest plane - what any sharpness-based label finds - is shifted from it by the aberration's balance
 * (src/main/acquisition/bestFocus.ts, measured there). The generator records both; the labels are checked against
 * the best focus, and the paraxial figure is reported beside it.
 * Also re-runs the metric comparison (compareLabelling) on these virtual-microscope stacks and writes the table to
 * test-output/app-dataset/vm-metric-comparison.txt.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { compareLabelling, formatComparison, type TruthStack } from '../../../src/main/focus/evaluate';
import { DEFAULT_FIT, DEFAULT_METRIC } from '../../../src/main/focus/label';
import { listImageRows, sharpnessOf } from '../../../src/main/dataset/repo/images';
import { ROOT, tempDir } from '../../helpers/datasetFixtures';
import { runCli, runCliJson } from './cli';

const SLIDES = path.resolve(ROOT, '../shared/data/slides');
/** Ten stained slides, chosen by rule (every second stained slide, alphabetically): 20 stacks, so ">= 95%" allows
 * one miss. The unstained phase object (BF_hiPSC) is left out: its sharpness curve has two peaks around focus, which
 * the QC flags (multiple-peaks); see the report for the all-slides figure. */
const CHOSEN = fs
  .readdirSync(SLIDES)
  .filter((n) => n.endsWith('.png') && !/^BF_/.test(n))
  .sort()
  .filter((_, i) => i % 2 === 0)
  .slice(0, 10)
  .map((n) => n.replace(/\.png$/, ''));
const OUT = path.join(ROOT, 'test-output', 'app-dataset');

interface ManifestRow {
  path: string;
  split: string;
  stack_id: string;
  defocus_um: string;
  z_um: string;
  z_focus_um: string;
  width: string;
  patch_x: string;
  source: string;
}

function readManifest(file: string): ManifestRow[] {
  const [head, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])) as unknown as ManifestRow);
}

describe('synthetic dataset on the virtual microscope, exported as patches', () => {
  it('has 41 labelled planes per stack, a clean split by stack, and labels that match the simulator', async () => {
    const dir = tempDir('sim-export');
    const db = path.join(dir, 'sim.sqlite');
    const list = path.join(dir, 'slides.txt');
    fs.writeFileSync(list, `# ten stained slides\n${CHOSEN.join('\n')}\n`);
    const gen = await runCliJson([
      'acquire',
      '--sim',
      '--db',
      db,
      '--slides',
      SLIDES,
      '--slides-list',
      list,
      '--grid',
      '1x2',
      '--roi',
      '224x224',
      '--seed',
      '1',
      '--render-threads',
      '0',
    ]);
    expect(gen).toMatchObject({ state: 'completed', stacks: 20, planesStored: 820 });

    const out = path.join(dir, 'export');
    const exp = await runCliJson(['export', '--db', db, '--out', out, '--patches', '--split', 'stack', '--seed', '1']);
    expect(exp).toMatchObject({ stacks: 20, slides: 10, images: 820 });
    const rows = readManifest(path.join(out, 'manifest.csv'));
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'dataset.json'), 'utf8'));
    expect(meta.split).toMatchObject({ rule: 'stack', seed: 1, train_stacks: 18, test_stacks: 2 });
    expect(meta.patch).toMatchObject({ size: 224 });

    const byStack = new Map<string, ManifestRow[]>();
    for (const r of rows) byStack.set(r.stack_id, [...(byStack.get(r.stack_id) ?? []), r]);
    expect(byStack.size).toBe(20);
    for (const [, planes] of byStack) {
      expect(planes).toHaveLength(41);
      expect(new Set(planes.map((p) => p.z_um)).size).toBe(41);
      expect(new Set(planes.map((p) => p.split)).size).toBe(1); // never one stack on both sides
      for (const p of planes) {
        expect(Number(p.defocus_um)).toBeCloseTo(Number(p.z_um) - Number(p.z_focus_um), 6);
        expect([p.width, p.patch_x, p.source]).toEqual(['224', '0', 'sim']);
        expect(fs.existsSync(path.join(out, p.path))).toBe(true);
      }
    }
    const train = new Set(rows.filter((r) => r.split === 'train').map((r) => r.stack_id));
    const test = new Set(rows.filter((r) => r.split === 'test').map((r) => r.stack_id));
    expect([...train].filter((s) => test.has(s))).toEqual([]);
    expect(test.size).toBe(2);

    // Labels vs the simulator's truth, per stack.
    const d = new Database(db, { readonly: true });
    const stacks = d
      .prepare('SELECT id, z_focus_um, qc_verdict, qc_flags, render_params FROM stacks ORDER BY id')
      .all() as {
      id: number;
      z_focus_um: number;
      qc_verdict: string;
      qc_flags: string;
      render_params: string;
    }[];
    const report: string[] = [];
    const truth: TruthStack[] = [];
    let withinBest = 0;
    let withinParaxial = 0;
    for (const s of stacks) {
      const rp = JSON.parse(s.render_params);
      const eBest = s.z_focus_um - rp.zBestFocusUm;
      const eParaxial = s.z_focus_um - rp.zFocusTrueUm;
      if (Math.abs(eBest) <= 0.25) withinBest++;
      if (Math.abs(eParaxial) <= 0.25) withinParaxial++;
      report.push(
        `stack ${s.id} ${rp.slide.name.padEnd(26)} SA ${rp.variant.setup.sphericalAberrationWaves.toFixed(3).padStart(6)} w  label-best ${eBest.toFixed(3).padStart(6)}  label-paraxial ${eParaxial.toFixed(3).padStart(6)}  QC ${s.qc_verdict} ${s.qc_flags}`,
      );
      // Each plane's label against the simulator's own per-frame truth (shifted to the best focus).
      const shift = rp.zBestFocusUm - rp.zFocusTrueUm;
      for (const img of listImageRows(d, s.id)) {
        const trueD = JSON.parse(img.meta!).trueDefocusUm as number;
        expect(img.defocus_um! - (trueD - shift)).toBeCloseTo(-eBest, 6);
      }
      truth.push({
        planes: listImageRows(d, s.id).map((r) => ({ z: r.z_um, sharpness: sharpnessOf(r)! })),
        zFocusTrueUm: rp.zBestFocusUm,
      });
    }
    d.close();
    const table = formatComparison(compareLabelling(truth));
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(
      path.join(OUT, 'vm-metric-comparison.txt'),
      `virtual microscope, ${stacks.length} stacks, truth = best focus\n${report.join('\n')}\n` +
        `within 0.25 um: best focus ${withinBest}/${stacks.length}, paraxial ${withinParaxial}/${stacks.length}\n\n${table}\n`,
    );
    console.log(report.join('\n'));
    console.log(table);
    expect(withinBest / stacks.length).toBeGreaterThanOrEqual(0.95);
    const chosen = compareLabelling(truth, { metrics: [DEFAULT_METRIC], fits: [DEFAULT_FIT] })[0];
    expect(chosen.within).toBeGreaterThanOrEqual(0.95);
    expect(chosen.qcOk).toBe(stacks.length);

    // The same dataset refuses a malformed export cleanly and leaves nothing behind.
    const bad = await runCli(['export', '--db', db, '--out', path.join(dir, 'export2'), '--split', 'random']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--split must be stack or slide/);
    expect(fs.existsSync(path.join(dir, 'export2'))).toBe(false);
  }, 400_000);
});
