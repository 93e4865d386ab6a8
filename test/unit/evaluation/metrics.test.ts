import { describe, expect, it } from 'vitest';
import { depthOfFieldUm } from '../../../src/main/evaluation/dof';
import { depthOfFieldUm as setupDepthOfFieldUm, SETUP_PRESETS } from '../../../src/shared/optics';
import { defocusRangeOf, focusMetrics, stackOrdering } from '../../../src/main/evaluation/metrics';

describe('focusMetrics on a hand-made prediction set', () => {
  // true:      -8    -6    -2   -0.5   0.5    3     7     9
  // predicted: -7.5  -6.5   1   -0.5   0.7    3     6   9.75
  // error:      0.5   0.5   3    0     0.2    0     1   0.75
  const truth = [-8, -6, -2, -0.5, 0.5, 3, 7, 9];
  const predicted = [-7.5, -6.5, 1, -0.5, 0.7, 3, 6, 9.75];
  const m = focusMetrics(predicted, truth, 1.2);

  it('computes RMSE and the mean/std of |error|', () => {
    const sq = [0.25, 0.25, 9, 0, 0.04, 0, 1, 0.5625];
    expect(m.n).toBe(8);
    expect(m.rmse_um).toBeCloseTo(Math.sqrt(sq.reduce((a, b) => a + b) / 8), 12);
    expect(m.error_mean_um).toBeCloseTo(5.95 / 8, 12);
    const mean = 5.95 / 8;
    const errors = [0.5, 0.5, 3, 0, 0.2, 0, 1, 0.75];
    expect(m.error_std_um).toBeCloseTo(Math.sqrt(errors.reduce((a, e) => a + (e - mean) ** 2, 0) / 8), 12);
    expect(m.bias_um).toBeCloseTo((0.5 - 0.5 + 3 + 0 + 0.2 + 0 - 1 + 0.75) / 8, 12);
    expect(m.error_max_um).toBe(3);
  });

  it('splits errors by true defocus range', () => {
    expect(m.error_by_range).toEqual({ '-10..-5': 0.5, '-5..5': expect.closeTo(3.2 / 4, 12), '5..10': 0.875 });
    expect(m.n_by_range).toEqual({ '-10..-5': 2, '-5..5': 4, '5..10': 2 });
  });

  it('counts sign errors only where |true| >= 1 um', () => {
    // |true| >= 1: -8, -6, -2, 3, 7, 9 (6 patches); wrong sign: -2 -> +1 (1 patch). -0.5/0.5 are not judged.
    expect(m.n_sign).toBe(6);
    expect(m.sign_error_rate).toBeCloseTo(1 / 6, 12);
  });

  it('counts a zero prediction for a defocused patch as a sign error', () => {
    expect(focusMetrics([0, 2], [-3, 2]).sign_error_rate).toBe(0.5);
  });

  it('counts predictions within half the depth of field', () => {
    // DOF 1.2 -> |error| <= 0.6: 0.5, 0.5, 0, 0.2, 0 -> 5 of 8
    expect(m.within_dof).toBe(5 / 8);
    expect(focusMetrics(predicted, truth).within_dof).toBeNull();
  });

  it('leaves empty ranges and sign sets as null', () => {
    const near = focusMetrics([0.1, -0.2], [0.3, 0.1]);
    expect(near.error_by_range['-10..-5']).toBeNull();
    expect(near.sign_error_rate).toBeNull();
  });

  it('places range boundaries and refuses mismatched or empty input', () => {
    expect([-10, -5.01, -5, 5, 5.01, 10, 10.5].map(defocusRangeOf)).toEqual([
      '-10..-5',
      '-10..-5',
      '-5..5',
      '-5..5',
      '5..10',
      '5..10',
      undefined,
    ]);
    expect(() => focusMetrics([1], [1, 2])).toThrow(/2 labels/);
    expect(() => focusMetrics([], [])).toThrow(/no predictions/);
  });
});

describe('depth of field', () => {
  it('is lambda n / NA^2 + n e / (M NA) with e the camera pixel pitch', () => {
    // 20x/0.75 air, 0.1725 um/px at the sample (3.45 um camera pixels)
    expect(depthOfFieldUm({ na: 0.75, immersion_index: 1, pixel_size_um: 0.1725 })).toBeCloseTo(
      0.55 / 0.5625 + 3.45 / 15,
      10,
    );
    // 40x/0.95 air, 0.08625 um/px
    expect(depthOfFieldUm({ na: 0.95, immersion_index: 1, pixel_size_um: 0.08625 })).toBeCloseTo(
      0.55 / 0.9025 + 3.45 / 38,
      10,
    );
    // oil immersion scales both terms by n
    expect(depthOfFieldUm({ na: 1.3, immersion_index: 1.515, pixel_size_um: 0.0345 })).toBeCloseTo(
      (0.55 * 1.515) / 1.69 + (1.515 * 3.45) / 130,
      10,
    );
  });

  it('gives the same depth of field for a setup and for a card of that setup (one formula)', () => {
    const setup = SETUP_PRESETS['20x'];
    const card = {
      na: setup.na,
      immersion_index: setup.immersionIndex,
      pixel_size_um: setup.pixelPitchUm / setup.magnification,
    };
    expect(depthOfFieldUm(card, setup.wavelengthsUm.g)).toBeCloseTo(setupDepthOfFieldUm(setup), 12);
  });
});

describe('stackOrdering: Spearman per stack, then the median and the worst', () => {
  const truth = [-4, -2, 0, 2, 4, -8, -4, 0, 4, 8, 1, 2];
  // stack a in order, stack b reversed (its side wrong throughout), stack c too short to count
  const predicted = [-3, -1.5, 0.2, 1, 5, 7, 3, 0.5, -2, -9, 5, 4];
  const stack = ['a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'b', 'c', 'c'];

  it('1 for a stack in order, -1 for a reversed one, short stacks left out', () => {
    const o = stackOrdering(predicted, truth, stack);
    expect(o.n_stacks).toBe(2);
    expect(o.spearman_min).toBeCloseTo(-1, 12);
    expect(o.spearman_median).toBeCloseTo(0, 12); // the median of 1 and -1
    // within -5..+5 um stack b keeps 3 planes: under the minimum, so only stack a counts there
    expect(o.spearman_central_median).toBeCloseTo(1, 12);
    expect(o.spearman_central_min).toBeCloseTo(1, 12);
  });

  it('ranks, not values: a monotonic but non-linear reading still orders perfectly', () => {
    const o = stackOrdering(
      truth.slice(0, 5).map((t) => Math.sign(t) * t * t),
      truth.slice(0, 5),
      stack.slice(0, 5),
    );
    expect(o.spearman_median).toBeCloseTo(1, 12);
    expect(stackOrdering([1, 2], [1, 2], ['x', 'x']).spearman_median).toBeNull();
  });
});
