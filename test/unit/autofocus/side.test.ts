/**
 * A magnitude model (card output.target "magnitude") reads |d| only: the loop guesses the side, moves, and flips the
 * side when the residual grew. Checked on the fake microscope with stub estimators reading |truth|.
 */
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../../src/hardware/types';
import { LOCAL_REFINE_MAX_UM, runAutofocus } from '../../../src/main/autofocus/loop';
import {
  CROSSING_MIN_READING_UM,
  FIRST_GUESS,
  MAX_SIDE_FLIPS,
  readSide,
  sideHandling,
} from '../../../src/main/autofocus/side';
import type { ModelCard } from '../../../src/shared/model-card';
import { AutofocusSettings, type Estimate } from '../../../src/shared/autofocus';
import { fakeDevices } from '../../helpers/fakeMicroscope';
import { stubEstimate } from './stubs';

const settings = () => AutofocusSettings.parse({ fallbackTimeLimitMs: 20_000 });
const truth = (f: Frame) => f.meta!.trueDefocusUm as number;

async function fake(zStart: number) {
  const dev = await fakeDevices({ width: 96, height: 96, pixelSizeUm: 0.345, seed: 11 });
  await dev.z.moveTo(zStart);
  return dev;
}

/** A run of a signed model whose side is checked, coarse near focus (sharpness finishes), on the fake microscope. */
async function focusSignedCoarse(zStart: number, estimate: (f: Frame) => Estimate) {
  const { camera, z, m } = await fake(zStart);
  const trace = await runAutofocus({
    devices: { camera, zStage: z },
    settings: settings(),
    method: 'net',
    sideFromModel: true,
    refineNearFocus: true,
    depthOfFieldUm: 1.2,
    estimate: async (f) => estimate(f),
  });
  return { trace, m };
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

  it('a reading that held after a full move, with the frame as sharp as before, crossed the focus: a model reading 2x', () => {
    // The shipped 40x model on monochrome frames: -7.39 at -3.76 um, then -7.33 at +3.64 um after moving +7.39.
    const first = readSide(FIRST_GUESS, -7.39, null, 0.25, true);
    const crossed = readSide(
      first.belief,
      -7.33,
      { magnitudeUm: 7.39, movedUm: 7.39, sharpnessRatio: 0.97 },
      0.25,
      true,
    );
    // The focus splits the move in the readings' ratio: 3.68 um back, not 7.33 um further up.
    expect(crossed.defocusUm).toBeCloseTo((7.39 * 7.33) / (7.33 + 7.39), 9);
    expect(crossed).toMatchObject({ disagreement: null, belief: { side: 1, flips: 0 } });
    // The same when the reading grew a little (7.57 then 7.87 after moving 7.57 across).
    const grew = readSide(first.belief, 7.87, { magnitudeUm: 7.57, movedUm: 7.57, sharpnessRatio: 1.1 }, 0.25, true);
    expect(grew.defocusUm).toBeCloseTo((7.57 * 7.87) / (7.87 + 7.57), 9);
    // Or fell by less than 0.3 of the move: the 20x model reads 1.75x (6.14 at -3.53 um, then 4.77 at +2.61 um).
    const fell = readSide(first.belief, -4.77, { magnitudeUm: 6.14, movedUm: 6.14, sharpnessRatio: 1.3 }, 0.25, true);
    expect(fell.disagreement).toBeNull();
    expect(Math.abs(-3.53 + 6.14 - fell.defocusUm)).toBeLessThan(0.1); // the focus, from the split of the move
    // Without a sharpness measure that is the model not following the move, as before.
    expect(readSide(first.belief, -4.77, { magnitudeUm: 6.14, movedUm: 6.14 }, 0.25, true).disagreement).toMatch(
      /does not follow/,
    );
  });

  it('a move past the focus by an over-reading model: the readings split the move, whatever the scale', () => {
    // ldse-net-40x on a held-out slide: +8.02 at +5.17 um, then -4.09 at -2.85 um after moving -8.02.
    const first = readSide(FIRST_GUESS, 8.02, null, 0.25, true);
    const past = readSide(first.belief, -4.09, { magnitudeUm: 8.02, movedUm: -8.02, sharpnessRatio: 2 }, 0.25, true);
    expect(past.disagreement).toBeNull();
    expect(past.belief).toMatchObject({ side: -1, flips: 0 });
    expect(past.defocusUm).toBeCloseTo((-8.02 * 4.09) / (4.09 + 8.02), 9); // -2.71: the truth is -2.85
    // A model that reads k times the defocus everywhere sends the stage (k - 1) times the start past the focus; the
    // split finds it exactly, where the reading would be k times too far.
    for (const [startUm, k] of [
      [5.5, 1.5],
      [5, 1.6],
      [4.5, 1.7],
    ]) {
      const start = readSide(FIRST_GUESS, k * startUm, null, 0.25, true);
      const trueNow = startUm - k * startUm;
      const now = readSide(start.belief, k * trueNow, { magnitudeUm: k * startUm, movedUm: -k * startUm }, 0.25, true);
      expect(now.defocusUm).toBeCloseTo(trueNow, 9);
    }
  });

  it('the readings are taken as they are when the move did not cross by the model, near focus, or from its ceiling', () => {
    const first = readSide(FIRST_GUESS, 8.02, null, 0.25, true);
    // The same side after the move: short of the focus.
    expect(readSide(first.belief, 4.09, { magnitudeUm: 8.02, movedUm: -4 }, 0.25, true).defocusUm).toBe(4.09);
    // Within CROSSING_MIN_READING_UM the local search spaces its planes by the reading itself.
    const near = readSide(first.belief, -2.5, { magnitudeUm: 8.02, movedUm: -8.02 }, 0.25, true);
    expect(near.defocusUm).toBe(-2.5);
    expect(2.5).toBeLessThanOrEqual(CROSSING_MIN_READING_UM);
    // From the ceiling the first reading is a lower bound: no ratio.
    const high = readSide(FIRST_GUESS, 9, null, 0.25, true);
    expect(readSide(high.belief, -4, { magnitudeUm: 9, movedUm: -9 }, 0.25, true).defocusUm).toBe(-4);
    // A magnitude model names no side: its crossings are seen by sharpness only (the test above).
    const guess = readSide(FIRST_GUESS, 8.02, null, 0.25);
    expect(readSide(guess.belief, 4.09, { magnitudeUm: 8.02, movedUm: -8.02 }, 0.25).defocusUm).toBe(4.09);
  });

  it('a much blurrier frame, a reading at the ceiling, or one that doubled, is a move away from focus', () => {
    const prior = { magnitudeUm: 4, movedUm: -4 };
    // Sharpness fell to 0.5: away (flip), as without a sharpness measure.
    expect(readSide(FIRST_GUESS, 3.9, { ...prior, sharpnessRatio: 0.5 }, 0.25)).toMatchObject({
      defocusUm: -3.9,
      belief: { side: -1, flips: 1 },
    });
    // At the ceiling the model saturates: the flip, whatever sharpness says.
    const ceiling = readSide(FIRST_GUESS, 8.9, { magnitudeUm: 8.8, movedUm: -8.8, sharpnessRatio: 0.9 }, 0.25);
    expect(ceiling.belief.flips).toBe(1);
    // A model reading about right, gone the wrong way, reads twice as much.
    expect(readSide(FIRST_GUESS, 7.8, { ...prior, sharpnessRatio: 0.9 }, 0.25).belief.flips).toBe(1);
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

  it('after a flip sized by an over-read, a reading that puts the focus past the start of the wrong move names the side', () => {
    // ldse-net-40x on HE_medium_nuclei: +7.90 at -5.13 um (wrong side), down 7.90 to -13.03, 9.02 there (the ceiling):
    // the flip sends the stage up 15.8 to +2.78, past the focus, which reads +4.16 (rightly).
    const first = readSide(FIRST_GUESS, 7.9, null, 0.25, true);
    const grew = readSide(first.belief, 9.02, { magnitudeUm: 7.9, movedUm: -7.9, sharpnessRatio: 0.4 }, 0.25, true);
    expect(grew).toMatchObject({ defocusUm: -15.8, belief: { side: -1, flips: 1 } });
    const back = readSide(grew.belief, 4.16, { magnitudeUm: 15.8, movedUm: 15.8, sharpnessRatio: 3 }, 0.25, true);
    // The focus it names, 2.78 - 4.16 = -1.38 um, lies 3.75 um above the start: the reading's side, not the belief's.
    expect(back).toMatchObject({ defocusUm: 4.16, disagreement: null, belief: { side: 1 } });
    // A reading that points back to within NEAR_FOCUS_SIDE_UM of the start is the far-side error the belief guards
    // against: +4 at -9 um (wrong side), down to -13, 8.6 there, up 8.6 to -4.4, +5.5 there (wrong again).
    const farFirst = readSide(FIRST_GUESS, 4, null, 0.25, true);
    const farGrew = readSide(farFirst.belief, 8.6, { magnitudeUm: 4, movedUm: -4 }, 0.25, true);
    expect(farGrew.defocusUm).toBeCloseTo(-8.6, 9);
    const farBack = readSide(farGrew.belief, 5.5, { magnitudeUm: 8.6, movedUm: 8.6 }, 0.25, true);
    expect(farBack.defocusUm).toBe(-5.5); // up again, towards the focus at 0
    // The origin follows the stage: two moves later the same reading is judged from where the start now lies.
    const later = readSide(farBack.belief, 5, { magnitudeUm: 5.5, movedUm: 1 }, 0.25, true);
    expect(later.belief.focusPast?.originUm).toBeCloseTo(-(-4 + 8.6 + 1), 9); // the start, 5.6 um below
    expect(later.defocusUm).toBe(-5);
  });

  it('both readings at the ceiling after a full move: the move went away, whatever the noise in the readings', () => {
    // ldse-net-40x: -9.32 at +9.64 um (wrong side), up 9.32 to +18.96, -8.96 there: fell 0.36 um, more than the
    // tolerance, so this was "does not follow the focus" and a 25-image search.
    const first = readSide(FIRST_GUESS, -9.32, null, 0.25, true);
    const away = readSide(first.belief, -8.96, { magnitudeUm: 9.32, movedUm: 9.32, sharpnessRatio: 0.88 }, 0.25, true);
    expect(away).toMatchObject({ disagreement: null, belief: { side: 1, flips: 1 } });
    expect(away.defocusUm).toBeCloseTo(18.64, 9); // back down to 0.32 um from focus
    // Below the ceiling a reading that fell by less than 0.3 of the move still does not follow it (without a
    // sharpness measure; with one as sharp as before, it is a crossing).
    const below = readSide(first.belief, -8.2, { magnitudeUm: 9.32, movedUm: 9.32 }, 0.25, true);
    expect(below.disagreement).toMatch(/does not follow/);
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

  it('a signed model that reads twice the defocus on one side only: the move across the focus is seen as one', async () => {
    // Starts on the blurrier side (this microscope blurs 1.8 px/um above focus, 1.4 below), so the frame after the
    // move is the sharper one; from the sharper side an asymmetric curve can hide a crossing (then: the flip).
    // +2|d| everywhere, floored at 0.5 um: right above focus, wrong below it, twice too far
    const { trace, m } = await focusSignedCoarse(3.7, (f) => stubEstimate(Math.max(0.5, 2 * Math.abs(truth(f)))));
    // +3.7 reads 7.4: down 7.4 to -3.7, which reads 7.4 again with a sharper frame: back up 3.7, then the refinement.
    const netMoves = trace.moves.filter((mv) => mv.by === 'net').map((mv) => mv.toUm - mv.fromUm);
    expect(netMoves).toHaveLength(2);
    expect(netMoves[0]).toBeCloseTo(-7.4, 6);
    expect(netMoves[1]).toBeCloseTo(3.7, 1);
    expect(trace.outcome).toBe('focused');
    expect(trace.decidedBy).toBe('net+refine');
    expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(0.3);
  });

  it(`a reading within LOCAL_REFINE_MAX_UM (${LOCAL_REFINE_MAX_UM} um) starts the local search; beyond it, a move first`, async () => {
    const run = async (start: number) => {
      const { trace, m } = await focusSignedCoarse(start, (f) => stubEstimate(truth(f)));
      expect(trace.outcome).toBe('focused');
      expect(trace.decidedBy).toBe('net+refine');
      expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(0.3);
      return trace;
    };
    // 3.3 um: the second plane goes 4 um down (twice the reading, capped), past the focus: no net move.
    const near = await run(3.3);
    expect(near.moves.filter((mv) => mv.by === 'net')).toHaveLength(0);
    expect(near.images).toBeLessThanOrEqual(3);
    const far = await run(LOCAL_REFINE_MAX_UM + 0.5);
    expect(far.moves.filter((mv) => mv.by === 'net')).toHaveLength(1);
    expect(far.images).toBeGreaterThanOrEqual(3);
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
