/**
 * A magnitude model (card output.target "magnitude") reads |d| only: the loop guesses the side, moves, and flips the
 * side when the residual grew. Checked on the fake microscope with stub estimators reading |truth|.
 */
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../../src/hardware/types';
import { runAutofocus } from '../../../src/main/autofocus/loop';
import { FIRST_GUESS, MAX_SIDE_FLIPS, readSide, sideHandling } from '../../../src/main/autofocus/side';
import type { ModelCard } from '../../../src/shared/model-card';
import { AutofocusSettings } from '../../../src/shared/autofocus';
import { fakeDevices } from '../../helpers/fakeMicroscope';
import { stubEstimate } from './stubs';

const settings = () => AutofocusSettings.parse({ fallbackTimeLimitMs: 20_000 });
const truth = (f: Frame) => f.meta!.trueDefocusUm as number;

async function fake(zStart: number) {
  const dev = await fakeDevices({ width: 96, height: 96, pixelSizeUm: 0.345, seed: 11 });
  await dev.z.moveTo(zStart);
  return dev;
}

describe('side of focus from a move', () => {
  it('keeps the side when the residual shrank and flips it when it grew', () => {
    const first = readSide(FIRST_GUESS, 4, null, 0.25);
    expect(first.defocusUm).toBe(4);
    const shrank = readSide(first.belief, 0.5, { magnitudeUm: 4, movedUm: -4 }, 0.25);
    expect(shrank).toMatchObject({ defocusUm: 0.5, disagreement: null, belief: { side: 1, flips: 0 } });
    const grew = readSide(first.belief, 8, { magnitudeUm: 4, movedUm: -4 }, 0.25);
    expect(grew).toMatchObject({ defocusUm: -8, disagreement: null, belief: { side: -1, flips: 1 } });
    // Back from the far side a saturated model reads less than the move: not a disagreement right after a flip.
    const back = readSide(grew.belief, 6.5, { magnitudeUm: 8, movedUm: 8 }, 0.25);
    expect(back).toMatchObject({ defocusUm: -6.5, disagreement: null, belief: { side: -1, justFlipped: false } });
  });

  it('a residual that stayed where it was after a full move means the other side (the model saturates there)', () => {
    const stuck = readSide(FIRST_GUESS, 3.9, { magnitudeUm: 4, movedUm: -4 }, 0.25);
    expect(stuck).toMatchObject({ defocusUm: -3.9, disagreement: null, belief: { side: -1, flips: 1 } });
  });

  it('a magnitude that does not follow the move, or a side that keeps flipping, is a disagreement', () => {
    expect(readSide(FIRST_GUESS, 3.0, { magnitudeUm: 4, movedUm: -4 }, 0.25).disagreement).toMatch(/does not follow/);
    let belief = FIRST_GUESS;
    let step = readSide(belief, 2, null, 0.25);
    for (let i = 0; i <= MAX_SIDE_FLIPS; i++) {
      step = readSide(step.belief, 2 + 2 * (i + 1), { magnitudeUm: 2 + 2 * i, movedUm: 2 }, 0.25);
      belief = step.belief;
    }
    expect(belief.flips).toBe(MAX_SIDE_FLIPS + 1);
    expect(step.disagreement).toMatch(/did not settle/);
  });
});

describe('network loop with a magnitude model', () => {
  for (const start of [5.2, -5.2]) {
    it(`focuses from ${start} um: 2 images when the first guess is right, 3 when it is wrong`, async () => {
      const { camera, z, m } = await fake(start);
      const trace = await runAutofocus({
        devices: { camera, zStage: z },
        settings: settings(),
        method: 'net',
        magnitudeOnly: true,
        estimate: async (f) => stubEstimate(Math.abs(truth(f))),
      });
      expect(trace.outcome).toBe('focused');
      expect(trace.decidedBy).toBe('net');
      expect(trace.images).toBe(start > 0 ? 2 : 3);
      expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(1e-6);
    });
  }

  it('a magnitude model coarse near focus: once it reads < 2 um, three planes and a fit finish the run', async () => {
    const { camera, z, m } = await fake(-6.4);
    // Reads |d| but never below 0.8 um (a model that cannot resolve the last micrometre).
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      magnitudeOnly: true,
      refineNearFocus: true,
      estimate: async (f) => stubEstimate(Math.max(0.8, Math.abs(truth(f)))),
    });
    expect(trace.decidedBy).toBe('net+refine');
    expect(trace.outcome).toBe('focused');
    expect(trace.moves.filter((mv) => mv.by === 'net').length).toBeGreaterThanOrEqual(1);
    expect(trace.images).toBeLessThanOrEqual(3 + 3 + 5); // net readings + 3 planes (+ one edge extension at most)
    expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(0.3);
  });

  it('sideHandling: magnitude models guess the side, signed models with sign errors have theirs checked', () => {
    const card = (target: 'signed' | 'magnitude', mae: number | null, signErrors?: number) =>
      ({ output: { target }, metrics: { test_mae_um: mae, test_sign_error_rate: signErrors } }) as unknown as ModelCard;
    expect(sideHandling(card('magnitude', 1.1), 0.25)).toEqual({
      magnitudeOnly: true,
      sideFromModel: false,
      refineNearFocus: true,
    });
    expect(sideHandling(card('magnitude', 0.1), 0.25).refineNearFocus).toBe(false);
    // a signed model that names the side reliably (or a card without the figure) is trusted: verify, no search
    expect(sideHandling(card('signed', 1.1), 0.25)).toEqual({
      magnitudeOnly: false,
      sideFromModel: false,
      refineNearFocus: false,
    });
    expect(sideHandling(card('signed', 0.1, 0.005), 0.25).sideFromModel).toBe(false);
    expect(sideHandling(card('signed', 1.1, 0.12), 0.25)).toEqual({
      magnitudeOnly: false,
      sideFromModel: true,
      refineNearFocus: true,
    });
    expect(sideHandling(undefined, 0.25)).toEqual({
      magnitudeOnly: false,
      sideFromModel: false,
      refineNearFocus: false,
    });
  });

  it('a signed guess names the side until a move shows it wrong; then the loop keeps its own belief', () => {
    const first = readSide(FIRST_GUESS, -4, null, 0.25, true);
    expect(first).toMatchObject({ defocusUm: -4, belief: { side: -1, flips: 0 } });
    // right side: the residual shrank and the model's sign is still followed (an overshoot reads +0.6)
    const overshoot = readSide(first.belief, 0.6, { magnitudeUm: 4, movedUm: 4 }, 0.25, true);
    expect(overshoot).toMatchObject({ defocusUm: 0.6, disagreement: null, belief: { side: 1, flips: 0 } });
    // wrong side: the model said -4 at +4 um, the move went to +8 and the residual grew: flip, then ignore its sign
    const grew = readSide(first.belief, -7.5, { magnitudeUm: 4, movedUm: 4 }, 0.25, true);
    expect(grew).toMatchObject({ defocusUm: 7.5, belief: { side: 1, flips: 1 } });
    const after = readSide(grew.belief, -4.5, { magnitudeUm: 7.5, movedUm: -3 }, 0.25, true);
    expect(after.defocusUm).toBe(4.5);
    // near focus its side is good again (an overshoot across focus): it names the side once more
    const near = readSide(after.belief, -0.4, { magnitudeUm: 4.5, movedUm: -4.5 }, 0.25, true);
    expect(near).toMatchObject({ defocusUm: -0.4, belief: { side: -1 } });
  });

  it('a flip reverses the side the last move acted on, whatever side the new reading names', () => {
    // truly at -4: the model said +4, the loop moved down 4 to -8, and the model now (rightly) says -8
    const first = readSide(FIRST_GUESS, 4, null, 0.25, true);
    const grew = readSide(first.belief, -8, { magnitudeUm: 4, movedUm: -4 }, 0.25, true);
    expect(grew).toMatchObject({ defocusUm: -8, belief: { side: -1, flips: 1 } });
  });

  it('a signed model that is wrong about the side for a start still focuses, one move later', async () => {
    const { camera, z, m } = await fake(-5.2);
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      sideFromModel: true,
      // names the wrong side below focus: reads +|d| everywhere
      estimate: async (f) => stubEstimate(Math.abs(truth(f))),
    });
    expect(trace.outcome).toBe('focused');
    expect(trace.decidedBy).toBe('net');
    expect(trace.moves.length).toBeLessThanOrEqual(4);
    expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(0.3);
  });

  it('without magnitudeOnly the same estimator is caught by the verify step below focus', async () => {
    const { camera, z } = await fake(-5.2);
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      estimate: async (f) => stubEstimate(Math.abs(truth(f))),
    });
    expect(trace.fallbackReason).toMatch(/verify step disagrees/);
  });
});
