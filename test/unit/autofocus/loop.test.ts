/**
 * The autofocus loop with stub predictors on the fake microscope (test/helpers): convergence, every fallback trigger,
 * the refusals (no content) and the hardware outcomes (stage error, cancel). The virtual-microscope versions are in
 * test/integration/autofocus.
 */
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../../src/hardware/types';
import { runAutofocus, verifyDisagreement } from '../../../src/main/autofocus/loop';
import { AutofocusSettings, type Estimate } from '../../../src/shared/autofocus';
import { fakeDevices } from '../../helpers/fakeMicroscope';
import { RecordingZStage, stubEstimate, TinyCamera } from './stubs';

const settings = (o: Partial<AutofocusSettings> = {}) => AutofocusSettings.parse({ fallbackTimeLimitMs: 20_000, ...o });
const truth = (f: Frame) => f.meta!.trueDefocusUm as number;

async function fake(zStart: number) {
  const dev = await fakeDevices({ width: 96, height: 96, pixelSizeUm: 0.345, seed: 11 });
  await dev.z.moveTo(zStart);
  return dev;
}

describe('verify step', () => {
  it('accepts a residual that shrank, flags one that grew or flipped big', () => {
    expect(verifyDisagreement(5, 0.1, 0.25)).toBeNull();
    expect(verifyDisagreement(5, -0.4, 0.25)).toBeNull(); // small overshoot: fine
    expect(verifyDisagreement(5, 1.2, 0.25)).toBeNull(); // under-estimated model: still shrinking
    expect(verifyDisagreement(5, 10, 0.25)).toMatch(/grew/);
    expect(verifyDisagreement(0.5, 1.0, 0.25)).toMatch(/grew/);
    expect(verifyDisagreement(5, -4, 0.25)).toMatch(/flipped sign/);
    expect(verifyDisagreement(-3, 2.5, 0.25)).toMatch(/flipped sign/);
  });

  it('flags a model whose estimate does not follow the move (about the same answer wherever the stage is)', () => {
    expect(verifyDisagreement(0.6, 0.55, 0.25, -0.6)).toMatch(/does not follow the focus/);
    expect(verifyDisagreement(2, 1.8, 0.25, -2)).toMatch(/does not follow the focus/);
    // A clamped move: 30 of 50 um made, 20 um left: the estimate followed.
    expect(verifyDisagreement(50, 20.3, 0.25, -30)).toBeNull();
    // Under-estimating by 2x still follows (0.5 of the move) and converges.
    expect(verifyDisagreement(2.5, 1.25, 0.25, -2.5)).toBeNull();
    // Small moves are within the noise: not judged.
    expect(verifyDisagreement(0.4, 0.38, 0.25, -0.4)).toBeNull();
  });
});

describe('network loop with stub predictors', () => {
  it('a perfect predictor focuses in 2 images with one move', async () => {
    const { camera, z, m } = await fake(6.3);
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      estimate: async (f) => stubEstimate(truth(f)),
    });
    expect(trace.outcome).toBe('focused');
    expect(trace.decidedBy).toBe('net');
    expect(trace.images).toBe(2);
    expect(trace.moves).toHaveLength(1);
    expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(1e-9);
  });

  it('already in focus: one image, no move', async () => {
    const { camera, z } = await fake(0.1);
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      estimate: async (f) => stubEstimate(truth(f)),
    });
    expect(trace.outcome).toBe('focused');
    expect(trace.images).toBe(1);
    expect(trace.moves).toEqual([]);
    expect(z.moves).toEqual([{ from: 0, to: 0.1, reached: 0.1 }]); // only the test's own move
  });

  it('a wrong-sign predictor is caught by the verify step and the fallback search decides', async () => {
    const { camera, z, m } = await fake(4);
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      estimate: async (f) => stubEstimate(-truth(f)),
    });
    expect(trace.fallbackReason).toMatch(/verify step disagrees/);
    expect(trace.decidedBy).toBe('net+fallback');
    expect(trace.outcome).toBe('focused');
    expect(trace.images).toBeGreaterThan(10);
    expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(0.6);
  });

  it('low confidence sends the run to the fallback search', async () => {
    const { camera, z, m } = await fake(-3);
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings({ confidenceThreshold: 0.5 }),
      method: 'net',
      estimate: async (f) => stubEstimate(truth(f), 0.2),
    });
    expect(trace.fallbackReason).toMatch(/unsure \(confidence 0\.20 < 0\.5\)/);
    expect(trace.decidedBy).toBe('net+fallback');
    expect(trace.moves.filter((mv) => mv.by === 'net')).toEqual([]);
    expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(0.6);
  });

  it('with the fallback off, an unsure network still moves and a disagreement stops the run', async () => {
    const unsure = await fake(3);
    const t1 = await runAutofocus({
      devices: { camera: unsure.camera, zStage: unsure.z },
      settings: settings({ fallback: false, confidenceThreshold: 0.5 }),
      method: 'net',
      estimate: async (f) => stubEstimate(truth(f), 0.2),
    });
    expect(t1.outcome).toBe('focused');
    expect(t1.decidedBy).toBe('net');
    const wrong = await fake(3);
    const t2 = await runAutofocus({
      devices: { camera: wrong.camera, zStage: wrong.z },
      settings: settings({ fallback: false }),
      method: 'net',
      estimate: async (f) => stubEstimate(-truth(f)),
    });
    expect(t2.outcome).toBe('step-limit');
    expect(t2.message).toMatch(/fallback search is off/);
    expect(t2.images).toBe(2);
  });

  it('a constant predictor (an untrained model) is caught by the verify step: its estimate does not follow the move', async () => {
    const { camera, z, m } = await fake(6);
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      estimate: async () => stubEstimate(1.5),
    });
    expect(trace.fallbackReason).toMatch(/does not follow the focus/);
    expect(trace.decidedBy).toBe('net+fallback');
    expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(0.6);
  });

  it('a field that loses its content after a move falls back', async () => {
    const { camera, z } = await fake(5);
    let n = 0;
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      estimate: async (f) => (n++ === 0 ? stubEstimate(truth(f)) : stubEstimate(null)),
    });
    expect(trace.fallbackReason).toMatch(/lost its focusable content/);
    expect(trace.decidedBy).toBe('net+fallback');
  });

  it('an under-estimating predictor iterates and stops at the step limit', async () => {
    const { camera, z } = await fake(8);
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings({ stepLimit: 2 }),
      method: 'net',
      estimate: async (f) => stubEstimate(0.4 * truth(f)),
    });
    expect(trace.fallbackReason).toBeNull();
    expect(trace.outcome).toBe('step-limit');
    expect(trace.moves).toHaveLength(2);
    expect(trace.images).toBe(3);
    expect(Math.abs(trace.residualUm!)).toBeGreaterThan(0.25);
  });

  it('clamps a huge prediction to the maximum move', async () => {
    const stage = new RecordingZStage({ minUm: -1000, maxUm: 1000 }, 0);
    const camera = new TinyCamera(stage, 0);
    let n = 0;
    const trace = await runAutofocus({
      devices: { camera, zStage: stage },
      settings: settings({ maxMoveUm: 30, fallback: false }),
      method: 'net',
      estimate: async () => stubEstimate(n++ === 0 ? -400 : 0),
    });
    expect(trace.moves[0]).toMatchObject({ fromUm: 0, toUm: 30, requestedUm: 400, clamped: true });
    expect(trace.outcome).toBe('focused');
  });
});

describe('refusals and hardware outcomes', () => {
  it('no focusable content on the first frame: no move at all', async () => {
    const stage = new RecordingZStage({ minUm: -100, maxUm: 100 }, 12);
    const camera = new TinyCamera(stage, 0);
    const trace = await runAutofocus({
      devices: { camera, zStage: stage },
      settings: settings(),
      method: 'net',
      estimate: async () => stubEstimate(null),
    });
    expect(trace.outcome).toBe('no-content');
    expect(trace.message).toMatch(/^No focusable content: the field is blank.*nothing was moved$/);
    expect(stage.targets).toEqual([]);
    expect(trace.finalZUm).toBe(12);
  });

  it('a first frame refused as blank may be far out of focus: planes further out find the tissue, the network focuses', async () => {
    const { camera, z, m } = await fake(12);
    // Tissue washes out beyond 9 um: the start (12 um) and the first probe (17 um) look blank, the second (7 um) not.
    const estimate = async (f: Frame) =>
      Math.abs(truth(f)) > 9 ? { ...stubEstimate(null), refusedAs: 'blank' as const } : stubEstimate(truth(f));
    const trace = await runAutofocus({ devices: { camera, zStage: z }, settings: settings(), method: 'net', estimate });
    expect(trace.outcome).toBe('focused');
    expect(trace.decidedBy).toBe('net');
    const probes = trace.moves.filter((mv) => mv.by === 'fallback');
    expect(probes.map((mv) => mv.toUm - trace.startZUm)).toEqual([5, -5]);
    expect(trace.images).toBe(4); // the start, two probes (the second one's reading moved the stage), the verify
    expect(trace.message).toMatch(
      /^The first frame looked blank; 2 planes further out found the tissue\. In focus: .* after 1 move$/,
    );
    expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(0.5);
  });

  it('a side-guessing model that moved the wrong way into a washed-out field flips and comes back, no search', async () => {
    const { camera, z, m } = await fake(-7);
    let n = 0;
    const estimate = async (f: Frame) => {
      if (Math.abs(truth(f)) > 12) return { ...stubEstimate(null), refusedAs: 'blank' as const };
      return stubEstimate(n++ === 0 ? -truth(f) : truth(f)); // the first reading names the wrong side
    };
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      estimate,
      sideFromModel: true,
    });
    expect(trace.outcome).toBe('focused');
    expect(trace.decidedBy).toBe('net');
    expect(trace.fallbackReason).toBeNull();
    // Down 7 um the wrong way (blank at -14), then back up 14 um: the magnitude before the move plus the move.
    expect(trace.moves.map((mv) => Math.round(mv.toUm - mv.fromUm))).toEqual([-7, 14]);
    expect(trace.images).toBe(3);
    expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(0.5);
  });

  it('a washed-out field after a move flips the side once only: a second one falls back', async () => {
    const { camera, z } = await fake(-7);
    let n = 0;
    // The wrong side first, and every frame after it blank (the field stays washed out even back near focus).
    const estimate = async (f: Frame) =>
      n++ === 0 ? stubEstimate(-truth(f)) : { ...stubEstimate(null), refusedAs: 'blank' as const };
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      estimate,
      sideFromModel: true,
    });
    expect(trace.moves.filter((mv) => mv.by === 'net').map((mv) => Math.round(mv.toUm - mv.fromUm))).toEqual([-7, 14]);
    expect(trace.fallbackReason).toMatch(/lost its focusable content/);
    expect(trace.decidedBy).toBe('net+fallback');
  });

  it('an unsure reading far from focus: the planes that far either side, then the near-focus search, not a sweep', async () => {
    const { camera, z, m } = await fake(-7);
    let n = 0;
    // The first reading has the right magnitude, the wrong side and a low confidence; later ones are right.
    const estimate = async (f: Frame) => (n++ === 0 ? stubEstimate(-truth(f), 0.1) : stubEstimate(truth(f)));
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      estimate,
      sideFromModel: true,
      refineNearFocus: true,
      depthOfFieldUm: 1.2,
    });
    expect(trace.fallbackReason).toMatch(/unsure/);
    expect(trace.decidedBy).toBe('net+fallback');
    expect(trace.message).toMatch(/either side/);
    const planes = trace.estimates.map((e) => Math.round(e.zUm - trace.startZUm));
    expect(planes.slice(0, 3)).toEqual([0, -7, 7]);
    expect(trace.images).toBeLessThanOrEqual(5);
    expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(0.3);
  });

  it('a blank field at every probe plane: a classic search looks too, then the stage goes back', async () => {
    const { camera, z } = await fake(30);
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      estimate: async () => ({ ...stubEstimate(null), refusedAs: 'blank' as const }),
    });
    const probes = trace.moves.filter((mv) => mv.by === 'fallback').slice(0, 6);
    expect(probes.map((mv) => Math.round(mv.toUm - trace.startZUm))).toEqual([5, -5, 10, -10, 15, -15]);
    expect(trace.estimates).toHaveLength(7); // the start and six probe planes; the classic search only scores sharpness
    expect(trace.images).toBeGreaterThan(7);
    // The fake microscope's focus lies 30 um below, out of the search's range: no peak, back to the start.
    expect(trace.outcome).toBe('no-content');
    expect(trace.finalZUm).toBeCloseTo(trace.startZUm, 6);
  });

  it('a first frame refused as dark or saturated is not searched: nothing moves', async () => {
    const stage = new RecordingZStage({ minUm: -100, maxUm: 100 }, 3);
    const camera = new TinyCamera(stage, 0);
    const trace = await runAutofocus({
      devices: { camera, zStage: stage },
      settings: settings(),
      method: 'net',
      estimate: async () => ({ ...stubEstimate(null), refusedAs: 'dark' as const }),
    });
    expect(trace.outcome).toBe('no-content');
    expect(stage.targets).toEqual([]);
  });

  it('a stage that refuses to move ends with a stage error, not a throw', async () => {
    const stage = new RecordingZStage({ minUm: -100, maxUm: 100 }, 7);
    stage.refuse = true;
    const camera = new TinyCamera(stage, 0);
    const trace = await runAutofocus({
      devices: { camera, zStage: stage },
      settings: settings(),
      method: 'net',
      estimate: async (f) => stubEstimate(truth(f)),
    });
    expect(trace.outcome).toBe('stage-error');
    expect(trace.message).toMatch(/^Stage error: .*refused the move/);
    expect(trace.finalZUm).toBe(7);
  });

  it('a camera that fails ends with a camera error', async () => {
    const { camera, z } = await fake(2);
    camera.faults.disconnectAfterSnaps = 1;
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      estimate: async (f) => stubEstimate(truth(f)),
    });
    expect(trace.outcome).toBe('camera-error');
    expect(trace.images).toBe(1);
  });

  it('cancelling ends the run as cancelled', async () => {
    const { camera, z } = await fake(4);
    const ac = new AbortController();
    const trace = await runAutofocus({
      devices: { camera, zStage: z },
      settings: settings(),
      method: 'net',
      signal: ac.signal,
      estimate: async (f): Promise<Estimate> => {
        ac.abort();
        return stubEstimate(-truth(f));
      },
    });
    expect(trace.outcome).toBe('cancelled');
  });
});

describe('classic methods on the fake microscope', () => {
  it('a sweep whose range misses the focus extends past its edge instead of stopping there', async () => {
    const { camera, z, m } = await fake(11); // the +-10 um sweep covers 1..21 um; the focus is at 0
    const trace = await runAutofocus({ devices: { camera, zStage: z }, settings: settings(), method: 'sweep' });
    expect(trace.images).toBe(26);
    expect(trace.outcome).toBe('focused');
    expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(0.5);
  });

  for (const method of ['sweep', 'coarse-to-fine'] as const) {
    it(`${method} finds the focus`, async () => {
      const { camera, z, m } = await fake(3.7);
      const trace = await runAutofocus({ devices: { camera, zStage: z }, settings: settings(), method });
      expect(trace.outcome).toBe('focused');
      expect(trace.decidedBy).toBe(method);
      expect(trace.images).toBeGreaterThanOrEqual(method === 'sweep' ? 21 : 15);
      expect(Math.abs(m.z - m.zFocusAt(m.xy))).toBeLessThan(0.5);
    });
  }
});
