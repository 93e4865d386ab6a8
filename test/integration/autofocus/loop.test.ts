/**
 * The autofocus loop on the virtual microscope (real rendered frames, real content filter, real stage with soft
 * limits), with stub predictors that know the true defocus. Tolerance 0.25 um is checked against the simulator's
 * truth, not against the network's own estimate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import sharp from 'sharp';
import { createVirtualMicroscope, type VirtualMicroscope } from '../../../src/hardware/sim';
import { tempDir } from '../../helpers/datasetFixtures';
import { estimateFrame } from '../../../src/main/autofocus/estimate';
import { runAutofocus } from '../../../src/main/autofocus/loop';
import { AutofocusSettings } from '../../../src/shared/autofocus';
import { smallMicroscope, truthPredictor } from './helpers';

let vm: VirtualMicroscope | undefined;
afterEach(async () => {
  await vm?.dispose();
  vm = undefined;
});

const settings = AutofocusSettings.parse({});

describe('network autofocus on the virtual microscope (stub predictor = truth + noise)', () => {
  for (const start of [-8.3, -2.1, 4.7, 9.6]) {
    it(`from ${start} um: within 0.25 um of the true focus in at most 3 images`, async () => {
      vm = await smallMicroscope(start);
      const predictor = truthPredictor(1);
      const trace = await runAutofocus({
        devices: { camera: vm.camera, zStage: vm.zStage },
        settings,
        method: 'net',
        estimate: (f) => estimateFrame(f, predictor),
      });
      expect(trace.outcome).toBe('focused');
      expect(trace.decidedBy).toBe('net');
      expect(trace.images).toBeLessThanOrEqual(3);
      expect(Math.abs(vm.truth().defocusUm)).toBeLessThanOrEqual(0.25);
      expect(trace.estimates[0].estimate.patchesUsed).toBeGreaterThanOrEqual(3);
    });
  }

  it('a wrong-sign predictor is detected by the verify step and the fallback search decides', async () => {
    vm = await smallMicroscope(3.4);
    const predictor = truthPredictor(-1);
    const trace = await runAutofocus({
      devices: { camera: vm.camera, zStage: vm.zStage },
      settings,
      method: 'net',
      estimate: (f) => estimateFrame(f, predictor),
    });
    expect(trace.fallbackReason).toMatch(/verify step disagrees: the residual grew/);
    expect(trace.decidedBy).toBe('net+fallback');
    expect(trace.outcome).toBe('focused');
    expect(Math.abs(vm.truth().defocusUm)).toBeLessThan(0.5);
  });
});

describe('classic autofocus on the virtual microscope', () => {
  for (const method of ['sweep', 'coarse-to-fine'] as const) {
    it(`${method} converges from 6 um`, async () => {
      vm = await smallMicroscope(6);
      const trace = await runAutofocus({ devices: { camera: vm.camera, zStage: vm.zStage }, settings, method });
      expect(trace.outcome).toBe('focused');
      expect(trace.images).toBeGreaterThanOrEqual(10);
      expect(Math.abs(vm.truth().defocusUm)).toBeLessThan(0.5);
    });
  }
});

describe('fields without focusable content: a clear result, the stage back where it was', () => {
  async function run(v: VirtualMicroscope) {
    const predictor = truthPredictor(1);
    return runAutofocus({
      devices: { camera: v.camera, zStage: v.zStage },
      settings,
      method: 'net',
      estimate: (f) => estimateFrame(f, predictor),
    });
  }

  it('blank glass', async () => {
    const white = path.join(tempDir('autofocus-blank'), 'white.png');
    await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 250, g: 250, b: 250 } } })
      .png()
      .toFile(white);
    vm = await createVirtualMicroscope({
      setup: '20x',
      slidePath: white,
      roi: { width: 672, height: 672 },
      timeScale: 0,
      zStart: 4,
      renderThreads: 0,
    });
    const trace = await run(vm);
    expect(trace.outcome).toBe('no-content');
    // A blank first frame may be tissue far out of focus: a classic search looks, finds no peak, and goes back.
    expect(trace.message).toMatch(/No focusable content: the field is blank.*no plane from .* showed a sharpness peak/);
    expect(trace.curve?.length).toBeGreaterThanOrEqual(11);
    expect(vm.truth().defocusUm).toBeCloseTo(4, 9);
  });

  it('a saturated frame (exposure far too long)', async () => {
    vm = await smallMicroscope(-3);
    await vm.camera.setExposureMs(400);
    const trace = await run(vm);
    expect(trace.outcome).toBe('no-content');
    expect(trace.message).toMatch(/saturated/);
    expect(vm.truth().defocusUm).toBeCloseTo(-3, 9);
  });

  it('a dark frame (no light)', async () => {
    vm = await smallMicroscope(2);
    await vm.camera.setExposureMs(0.01);
    const trace = await run(vm);
    expect(trace.outcome).toBe('no-content');
    expect(trace.message).toMatch(/dark/);
    expect(vm.truth().defocusUm).toBeCloseTo(2, 9);
  });
});

describe('hardware faults', () => {
  it('a Z controller that refuses the move: stage error, the stage stays where it was', async () => {
    vm = await smallMicroscope(5);
    vm.faults.set('z.refuse', 'always');
    const predictor = truthPredictor(1);
    const trace = await runAutofocus({
      devices: { camera: vm.camera, zStage: vm.zStage },
      settings,
      method: 'net',
      estimate: (f) => estimateFrame(f, predictor),
    });
    expect(trace.outcome).toBe('stage-error');
    expect(trace.message).toMatch(/^Stage error: .*refused the move/);
    expect(vm.truth().defocusUm).toBeCloseTo(5, 6);
  });
});
