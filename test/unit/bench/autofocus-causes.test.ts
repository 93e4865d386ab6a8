import { describe, expect, it } from 'vitest';
import { imageCauses, summariseCauses } from '../../../bench/autofocus-causes';
import type { RunTrace } from '../../../src/main/autofocus/loop';
import type { AutofocusMove, Estimate } from '../../../src/shared/autofocus';

const reading = (defocusUm: number | null) => ({ defocusUm }) as Estimate;
const move = (fromUm: number, toUm: number, by: AutofocusMove['by']): AutofocusMove => ({
  fromUm,
  toUm,
  requestedUm: toUm - fromUm,
  clamped: false,
  by,
});
const trace = (images: number, reads: Array<[number, number | null]>, moves: AutofocusMove[]) =>
  ({
    method: 'net',
    images,
    estimates: reads.map(([zUm, d]) => ({ zUm, estimate: reading(d) })),
    moves,
  }) as unknown as RunTrace;

describe('bench: where a network run spent its images', () => {
  it('a right reading far out: one move and a settled pair, nothing extra', () => {
    const c = imageCauses(
      trace(
        3,
        [
          [7, 7.4],
          [-0.4, -0.6],
          [0.8, 1.0],
        ],
        [move(7, -0.4, 'net'), move(-0.4, 0, 'fallback')],
      ),
      0,
    );
    expect(c).toEqual({ least: 3, images: 3, wrongFirstSide: false, extraNetMoves: 0, extraFinishingPlanes: 0 });
  });

  it('a wrong first side costs a net move; a pair that did not settle costs a finishing plane', () => {
    // at +8 read -8: up to +16, back down to +0.1, then two planes (the pair did not settle)
    const t = trace(
      5,
      [
        [8, -8],
        [16, -8.7],
        [0.1, 0.5],
        [-0.9, 1.1],
      ],
      [move(8, 16, 'net'), move(16, 0.1, 'net'), move(0.1, 0, 'fallback')],
    );
    const c = imageCauses(t, 0)!;
    expect(c).toMatchObject({ least: 3, wrongFirstSide: true, extraNetMoves: 1, extraFinishingPlanes: 1 });
    expect(c.least + c.extraNetMoves + c.extraFinishingPlanes).toBe(c.images);
  });

  it('a start read within reach needs two images; a side named within 1 um of focus is not called wrong', () => {
    const c = imageCauses(
      trace(
        2,
        [
          [0.6, -0.7],
          [-1.1, -1.2],
        ],
        [move(0.6, 0, 'fallback')],
      ),
      0,
    )!;
    expect(c).toMatchObject({ least: 2, wrongFirstSide: false, extraNetMoves: 0, extraFinishingPlanes: 0 });
  });

  it('sums per focus, and counts sweeps not at all', () => {
    const right = imageCauses(trace(3, [[7, 7.4]], [move(7, 0, 'net')]), 0)!;
    const wrong = imageCauses(trace(5, [[8, -8]], [move(8, 16, 'net'), move(16, 0, 'net')]), 0)!;
    const s = summariseCauses([right, wrong]);
    expect(s).toMatchObject({ runs: 2, leastPerFocus: 3, imagesPerFocus: 4, wrongFirstSideRuns: 1 });
    expect(s.afterWrongFirstSide).toBe(0.5);
    expect(s.leastPerFocus + s.afterWrongFirstSide + s.otherNetMoves + s.finishingPlanes).toBe(s.imagesPerFocus);
    expect(imageCauses({ ...trace(21, [], []), method: 'sweep' } as RunTrace, 0)).toBeNull();
  });
});
