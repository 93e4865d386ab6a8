/**
 * The near-focus pair on the curve shape it assumes, `npm run bench:autofocus -- --pair [--json]`: how often two
 * planes settle the focus, and how often they settle it more than 0.25 um off, without and with the check against
 * the network's readings (src/main/autofocus/pair.ts, refine.ts).
 *
 * Each trial: a focus curve of pair.ts with a random width (0.77-1.4 depths of field, the measured range) and a noise
 * floor of 1 % of its peak, 1 % noise on each plane's sharpness; the first plane at a random defocus in the band, a
 * model reading of k times |d| (10 % scatter, floor 0.45 um) that names the wrong side in `wrong` of the trials; the
 * second plane as refine.ts places it. 20x depth of field (1.19 um).
 */
import { pairFocus, pairFocusWithReadings, FOCUS_CURVE_POWER } from '../src/main/autofocus/pair';
import {
  READING_FLOOR_UM,
  readingsStraddle,
  REFINE_MAX_SPACING_UM,
  REFINE_STEP_UM,
} from '../src/main/autofocus/refine';
import { mulberry32 } from '../src/main/autofocus/random';
import { depthOfFieldUm, SETUP_PRESETS } from '../src/shared/optics';

interface PairRow {
  readScale: number;
  wrongSideShare: number;
  bandUm: [number, number];
  blindSettledPct: number;
  blindWrongPct: number;
  checkedSettledPct: number;
  checkedWrongPct: number;
  /** Settled by the checked pair or, where its widths disagree, by the pair narrowed by the readings. */
  narrowedSettledPct: number;
  narrowedWrongPct: number;
  /** ... of them more than 0.5 um off. */
  narrowedFarPct: number;
}

export function runPairBench(o: { json: boolean; trials?: number }): void {
  const dof = depthOfFieldUm(SETUP_PRESETS['20x']);
  const rnd = mulberry32(7);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const curve = (z: number, w: number) => 1 / (1 + (z / w) ** 2) ** FOCUS_CURVE_POWER + 0.01;
  const trials = o.trials ?? 20_000;
  const rows: PairRow[] = [];
  for (const wrongSideShare of [0, 0.1])
    for (const readScale of [0.8, 1, 1.25, 1.5])
      for (const bandUm of [
        [0, 0.5],
        [0.5, 1],
        [1, 2],
        [2, 3],
      ] as [number, number][]) {
        let blind = 0;
        let blindWrong = 0;
        let checked = 0;
        let checkedWrong = 0;
        let narrowed = 0;
        let narrowedWrong = 0;
        let narrowedFar = 0;
        for (let i = 0; i < trials; i++) {
          const d = (bandUm[0] + rnd() * (bandUm[1] - bandUm[0])) * (rnd() < 0.5 ? -1 : 1);
          const w = (0.77 + rnd() * 0.63) * dof;
          const read = (x: number) => Math.max(0.45, Math.abs(x) * readScale * (1 + 0.1 * gauss()) + 0.1 * gauss());
          const side = rnd() < wrongSideShare ? -Math.sign(d) : Math.sign(d);
          const r1 = side * read(d);
          const spacing = Math.min(REFINE_MAX_SPACING_UM, Math.max(REFINE_STEP_UM, 2 * Math.abs(r1)));
          const z2 = d + (r1 > 0 ? -1 : 1) * spacing;
          const plane = (z: number) => ({ z, sharpness: curve(z, w) * (1 + 0.01 * gauss()) });
          const p1 = plane(d);
          const p2 = plane(z2);
          const pair = pairFocus(p1, p2, dof);
          if (!pair) continue;
          // The model's reading at the second plane, on the side it names (wrong in `wrong` of the trials).
          const r2 = (rnd() < wrongSideShare ? -1 : 1) * Math.sign(z2) * read(z2);
          const straddles = readingsStraddle(r1, r2, spacing);
          // Where refine.ts would put the focus with both checks: the pair settled, else narrowed by the readings.
          let z: number | null = null;
          if (pair.settled) {
            const wrong = Math.abs(pair.zFocusUm) > 0.25;
            blind++;
            if (wrong) blindWrong++;
            if (straddles !== false) {
              checked++;
              if (wrong) checkedWrong++;
              z = pair.zFocusUm;
            }
          }
          if (z === null && straddles !== false) {
            z = pairFocusWithReadings(pair, { ...p1, readingUm: r1 }, { ...p2, readingUm: r2 }, READING_FLOOR_UM, true);
          }
          if (z === null) continue;
          narrowed++;
          if (Math.abs(z) > 0.25) narrowedWrong++;
          if (Math.abs(z) > 0.5) narrowedFar++;
        }
        const pct = (x: number) => Math.round((1e4 * x) / trials) / 100;
        rows.push({
          readScale,
          wrongSideShare,
          bandUm,
          blindSettledPct: pct(blind),
          blindWrongPct: pct(blindWrong),
          checkedSettledPct: pct(checked),
          checkedWrongPct: pct(checkedWrong),
          narrowedSettledPct: pct(narrowed),
          narrowedWrongPct: pct(narrowedWrong),
          narrowedFarPct: pct(narrowedFar),
        });
      }
  if (o.json) {
    console.log(JSON.stringify({ trials, depthOfFieldUm: dof, rows }));
    return;
  }
  console.log(`pair on the curve of pair.ts (1 % floor), 20x DOF ${dof.toFixed(2)} um, ${trials} trials per row`);
  console.log(
    'wrong sides  reads  |d| um   settled / >0.25 um off (% of trials): pair alone    with the readings check' +
      '    and narrowed by the readings (/ >0.5 um off)',
  );
  for (const r of rows) {
    console.log(
      `${String(r.wrongSideShare * 100).padStart(8)} %  ${r.readScale.toFixed(2)}x   ${r.bandUm.join('-')}      ` +
        `${r.blindSettledPct.toFixed(1).padStart(5)} / ${r.blindWrongPct.toFixed(2).padStart(5)}              ` +
        `${r.checkedSettledPct.toFixed(1).padStart(5)} / ${r.checkedWrongPct.toFixed(2).padStart(5)}              ` +
        `${r.narrowedSettledPct.toFixed(1).padStart(5)} / ${r.narrowedWrongPct.toFixed(2).padStart(5)} / ` +
        `${r.narrowedFarPct.toFixed(2).padStart(5)}`,
    );
  }
}
