import { describe, expect, it } from 'vitest';
import {
  checkUmPerStep,
  checkZDirection,
  findPeak,
  measureBacklash,
  measureDepthOfField,
  measureSettleTime,
  type CalibrationProgress,
} from '../../../src/hardware/calibration';
import { FakeCamera, FakeStage } from './fake-scope';

describe('findPeak', () => {
  it('refines the peak between planes and measures the half-maximum width', () => {
    const pts = [-3, -2, -1, 0, 1, 2, 3].map((z) => ({ zUm: z, sharpness: 10 - (z - 0.3) ** 2 }));
    const p = findPeak(pts);
    expect(p.zUm).toBeCloseTo(0.3, 6);
    expect(p.atEdge).toBe(false);
    // floor = 10 - 3.3^2 = -0.89; half = 4.555 above floor... width where curve = half level
    const half = (10 + (10 - 3.3 ** 2)) / 2;
    expect(p.fwhmUm).toBeGreaterThan(2 * Math.sqrt(10 - half) - 0.2);
    expect(p.fwhmUm).toBeLessThan(2 * Math.sqrt(10 - half) + 0.2);
    expect(
      findPeak([
        { zUm: 0, sharpness: 1 },
        { zUm: 1, sharpness: 2 },
        { zUm: 2, sharpness: 3 },
      ]).atEdge,
    ).toBe(true);
  });
});

describe('Z direction check', () => {
  it('finds the optics consistent with +z = away from the sample, and still asks the operator', async () => {
    const stage = new FakeStage();
    const camera = new FakeCamera(stage, { phaseGain: 0.08 });
    const progress: CalibrationProgress[] = [];
    const r = await checkZDirection(stage, camera, { onProgress: (p) => progress.push(p), searchRangeUm: 12 });
    expect(r.readbackOk).toBe(true);
    expect(r.readbackDeltaUm).toBeCloseTo(5, 9);
    expect(r.imageChanged).toBe(true);
    expect(Math.abs(r.focusUm)).toBeLessThan(0.6);
    expect(r.opticalVerdict).toBe('consistent');
    expect(r.phaseSkew).toBeGreaterThan(0.3);
    expect(r.operatorMustConfirm).toBe(true);
    expect(r.instructions).toMatch(/AWAY from the sample/);
    expect(progress.at(-1)?.fraction).toBe(1);
    expect(progress.every((p, i) => i === 0 || p.fraction >= progress[i - 1].fraction)).toBe(true);
  });

  it('flags an inverted axis from the phase contrast reversal', async () => {
    const stage = new FakeStage({ inverted: true });
    const r = await checkZDirection(stage, new FakeCamera(stage, { phaseGain: 0.08 }), { searchRangeUm: 12 });
    // The controller reports what it was told: only the optics can see the inversion.
    expect(r.readbackOk).toBe(true);
    expect(r.opticalVerdict).toBe('reversed');
    expect(r.explanation).toMatch(/inverted/);
  });

  it('says "undetermined" on a purely absorbing sample, even with an asymmetric focus curve', async () => {
    for (const inverted of [false, true]) {
      const stage = new FakeStage({ inverted });
      const r = await checkZDirection(stage, new FakeCamera(stage, { phaseGain: 0 }), { searchRangeUm: 12 });
      expect(r.opticalVerdict).toBe('undetermined');
      expect(r.oddFraction).toBeLessThan(0.05);
    }
  });

  it('decides on weak phase contrast too', async () => {
    const stage = new FakeStage();
    const r = await checkZDirection(stage, new FakeCamera(stage, { phaseGain: 0.02 }), { focusUm: 0 });
    expect(r.opticalVerdict).toBe('consistent');
  });
});

describe('um-per-step check', () => {
  it('passes a correct scale and catches a stage that moves half as far as commanded', async () => {
    // The expected curve width comes from the optics; here from the same fake optics on a perfect stage.
    const ref = new FakeStage();
    const dof = await measureDepthOfField(ref, new FakeCamera(ref), { rangeUm: 10, stepUm: 0.25 });
    const good = new FakeStage();
    const ok = await checkUmPerStep(good, new FakeCamera(good), {
      expectedFwhmUm: dof.dofUm,
      configuredStepsPerUm: 10,
    });
    expect(ok.verdict).toBe('ok');
    expect(ok.ratio).toBeGreaterThan(0.85);
    expect(ok.ratio).toBeLessThan(1.15);

    const slipping = new FakeStage({ scale: 0.5 });
    const bad = await checkUmPerStep(slipping, new FakeCamera(slipping), {
      expectedFwhmUm: dof.dofUm,
      configuredStepsPerUm: 10,
    });
    expect(bad.verdict).toBe('suspect');
    expect(bad.ratio).toBeGreaterThan(1.7);
    expect(bad.ratio).toBeLessThan(2.3);
    expect(bad.suggestedStepsPerUm).toBeGreaterThan(17);
    expect(bad.suggestedStepsPerUm).toBeLessThan(23);
  });
});

describe('backlash measurement', () => {
  it('measures the slack from peaks approached from both sides', async () => {
    const stage = new FakeStage({ backlashUm: 1.5 });
    const r = await measureBacklash(stage, new FakeCamera(stage), { rangeUm: 6, stepUm: 0.5 });
    expect(r.backlashUm).toBeGreaterThan(1.2);
    expect(r.backlashUm).toBeLessThan(1.8);
    expect(r.recommendedOvershootUm).toBeCloseTo(2 * r.backlashUm, 9);
  });

  it('finds no backlash on a stage without slack, despite the asymmetric focus curve', async () => {
    const stage = new FakeStage();
    const r = await measureBacklash(stage, new FakeCamera(stage), { rangeUm: 6, stepUm: 0.5 });
    expect(Math.abs(r.backlashUm)).toBeLessThan(0.25);
  });
});

describe('settle time', () => {
  it('grows with the ringing after a move and is near zero without it', async () => {
    const still = new FakeStage();
    const r0 = await measureSettleTime(still, new FakeCamera(still, { noise: 0.002, frameIntervalMs: 5 }), {
      stepUm: 2,
      repeats: 2,
    });
    const ringing = new FakeStage({ ring: { amplitudeUm: 1, tauMs: 80, periodMs: 40 } });
    const r1 = await measureSettleTime(ringing, new FakeCamera(ringing, { noise: 0.002, frameIntervalMs: 5 }), {
      stepUm: 2,
      repeats: 2,
    });
    expect(r0.settleMs).toBeLessThan(5 * r0.frameIntervalMs + 20);
    expect(r1.settleMs).toBeGreaterThan(100);
    expect(r1.settleMs).toBeLessThan(1500);
    expect(r1.perMoveMs).toHaveLength(2);
  });

  it('is not fooled by the first turning point of a slow ringing', async () => {
    // The virtual microscope's 900 ms settle: 1 % left after 900 ms, a 300 ms period. The first frames after the
    // move sit on the ringing's first turning point and match each other.
    const slow = new FakeStage({ ring: { amplitudeUm: 1.5, tauMs: 900 / 4.6, periodMs: 300 } });
    // Moves between 2 and 4 um from focus, as the app test of the settle step makes them.
    const camera = new FakeCamera(slow, { noise: 0.01, frameIntervalMs: 7, focusTrueZ: -2 });
    const r = await measureSettleTime(slow, camera, {
      stepUm: 2,
      repeats: 2,
    });
    for (const ms of r.perMoveMs) expect(ms).toBeGreaterThan(100); // the first turning point read as rest: under 10 ms
    expect(r.settleMs).toBeLessThan(1100);
  });
});

describe('depth of field', () => {
  it('is the curve width and scales with the blur rate of the optics', async () => {
    const s1 = new FakeStage();
    const narrow = await measureDepthOfField(s1, new FakeCamera(s1, { blurPerUmAbove: 1.6, blurPerUmBelow: 2.6 }), {
      rangeUm: 6,
      stepUm: 0.2,
    });
    const s2 = new FakeStage();
    const wide = await measureDepthOfField(s2, new FakeCamera(s2, { blurPerUmAbove: 0.8, blurPerUmBelow: 1.3 }), {
      rangeUm: 10,
      stepUm: 0.4,
    });
    expect(wide.dofUm / narrow.dofUm).toBeGreaterThan(1.7);
    expect(wide.dofUm / narrow.dofUm).toBeLessThan(2.3);
    expect(Math.abs(wide.focusUm)).toBeLessThan(0.3);
    // The stage is returned to where it started.
    expect(await s2.position()).toBe(0);
  });

  it('can be cancelled', async () => {
    const stage = new FakeStage();
    const ac = new AbortController();
    const p = measureDepthOfField(stage, new FakeCamera(stage), {
      signal: ac.signal,
      onProgress: (pr) => {
        if (pr.fraction > 0.3) ac.abort();
      },
    });
    await expect(p).rejects.toThrow(/cancelled/);
  });
});
