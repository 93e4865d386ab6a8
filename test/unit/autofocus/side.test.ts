/**
 * A magnitude model (card output.target "magnitude") reads |d| only: the loop guesses the side, moves, and flips the
 * side when the residual grew. Checked on the fake microscope with stub estimators reading |truth|.
 */
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../../src/hardware/types';
import { runAutofocus } from '../../../src/main/autofocus/loop';
import { FIRST_GUESS, MAX_SIDE_FLIPS, readSide } from '../../../src/main/autofocus/side';
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
  });

  it('a magnitude that does not follow the move, or a side that keeps flipping, is a disagreement', () => {
    expect(readSide(FIRST_GUESS, 3.9, { magnitudeUm: 4, movedUm: -4 }, 0.25).disagreement).toMatch(/does not follow/);
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
