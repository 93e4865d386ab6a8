/**
 * Never a move outside the soft limits, whatever the start, the predictions, the clamp and the limits: a property
 * test over the whole loop (network moves, backlash approach, fallback search) with a stub predictor.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runAutofocus } from '../../../src/main/autofocus/loop';
import { planMove } from '../../../src/main/autofocus/move';
import { AutofocusSettings } from '../../../src/shared/autofocus';
import { RecordingZStage, stubEstimate, TinyCamera } from './stubs';

const finiteUm = fc.double({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true });
const prediction = fc.oneof(
  fc.double({ min: -500, max: 500, noNaN: true }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e12, -1e12, 0),
);

describe('autofocus moves stay inside the soft limits', () => {
  it('planMove: within the limits and within the maximum move', () => {
    fc.assert(
      fc.property(
        finiteUm,
        fc.double({ min: 1, max: 2000, noNaN: true }),
        finiteUm,
        prediction,
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (lo, span, startOffset, d, maxMove) => {
          const limits = { minUm: lo, maxUm: lo + span };
          const start = Math.min(limits.maxUm, Math.max(limits.minUm, lo + (((startOffset % span) + span) % span)));
          const plan = planMove(start, d, maxMove, limits);
          if (!plan) return;
          expect(plan.targetUm).toBeGreaterThanOrEqual(limits.minUm);
          expect(plan.targetUm).toBeLessThanOrEqual(limits.maxUm);
          expect(Math.abs(plan.targetUm - start)).toBeLessThanOrEqual(maxMove + 1e-9);
          if (!Number.isFinite(d)) throw new Error('a non-finite prediction must give no move');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('the whole loop (moves, approach overshoot, fallback sweep) never asks for a z outside the limits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: -300, max: 300, noNaN: true }),
        fc.double({ min: 2, max: 120, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.tuple(prediction, fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 8 }),
        fc.record({
          maxMoveUm: fc.double({ min: 0.5, max: 200, noNaN: true }),
          stepLimit: fc.integer({ min: 1, max: 6 }),
          fallback: fc.boolean(),
          confidenceThreshold: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        // The loop modes of the shipped models too: side checked by moving, sharpness finish near focus (with the
        // two-plane shortcut when the depth of field is known), and a first frame refused as blank (a search).
        fc.record({
          sideFromModel: fc.boolean(),
          refineNearFocus: fc.boolean(),
          depthOfFieldUm: fc.option(fc.double({ min: 0.3, max: 5, noNaN: true }), { nil: undefined }),
          blankFirst: fc.boolean(),
        }),
        async (lo, span, startFraction, predictions, cfg, mode) => {
          const limits = { minUm: lo, maxUm: lo + span };
          const stage = new RecordingZStage(limits, lo + startFraction * span);
          const camera = new TinyCamera(stage);
          let k = 0;
          const trace = await runAutofocus({
            devices: { camera, zStage: stage },
            method: 'net',
            settings: AutofocusSettings.parse({ ...cfg, fallbackTimeLimitMs: 1000 }),
            estimate: async () => {
              if (k === 0 && mode.blankFirst) {
                k++;
                return { ...stubEstimate(null), refusedAs: 'blank' as const };
              }
              const [d, c] = predictions[Math.min(k++, predictions.length - 1)];
              return stubEstimate(Number.isFinite(d) ? d : null, c);
            },
            sideFromModel: mode.sideFromModel,
            refineNearFocus: mode.refineNearFocus,
            depthOfFieldUm: mode.depthOfFieldUm,
          });
          expect(stage.outside).toEqual([]);
          expect(trace.outcome).not.toBe('stage-error');
          expect(trace.finalZUm).toBeGreaterThanOrEqual(limits.minUm);
          expect(trace.finalZUm).toBeLessThanOrEqual(limits.maxUm);
          for (const m of trace.moves.filter((m) => m.by === 'net')) {
            expect(Math.abs(m.toUm - m.fromUm)).toBeLessThanOrEqual(cfg.maxMoveUm + 1e-9);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
