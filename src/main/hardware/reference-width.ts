/**
 * The focus-curve width the optics predict, for the um-per-step check: the same sharpness sweep, rendered by the
 * virtual microscope's optics for the profile's optical setup at exactly known defocus (a perfect stage). On the
 * virtual microscope it reproduces the field in view, so a correct stage measures a ratio of 1; on a real slide
 * the content differs from the shipped one and the prediction holds to some 20 %, enough to catch a wrong
 * microstepping or gear ratio (a factor of 2 or more), not to replace a dial gauge.
 */
import { quickFocus } from '../../hardware/calibration';
import { createVirtualMicroscope } from '../../hardware/sim';
import { HardwareError } from '../../hardware/types';
import { depthOfFieldUm, isSetupPresetId, type SimOptions } from '../../shared/optics';
import type { Microscope } from './microscope';

export interface ReferenceWidth {
  fwhmUm: number;
  from: string;
}

/** The sweep both curves are measured on (their widths are comparable only on the same grid). */
export interface SweepGrid {
  rangeUm: number;
  stepUm: number;
}

/** A grid from the classical depth of field of the setup: +-6 DOF (at least 8 um), 4 planes per DOF. */
export function umPerStepGrid(m: Microscope): SweepGrid | null {
  if (!m.setup) return null;
  const dof = depthOfFieldUm(m.setup);
  return { rangeUm: Math.max(8, 6 * dof), stepUm: dof / 4 };
}

export async function referenceFocusWidth(
  m: Microscope,
  grid: SweepGrid,
  signal?: AbortSignal,
): Promise<ReferenceWidth> {
  const base = referenceOptions(m);
  const vm = await createVirtualMicroscope({
    ...base,
    zBacklashUm: 0,
    zSettleMs: 0,
    zSettleAmplitudeUm: 0,
    timeScale: 0,
    zStart: base.zFocusUm ?? 0,
  });
  try {
    if (m.sim) await vm.xyStage.moveTo(m.sim.truth());
    const { peak } = await quickFocus(vm.zStage, vm.camera, vm.truth().zFocusUm, grid.rangeUm, grid.stepUm, {
      step: 'um-per-step',
      signal,
    });
    if (peak.fwhmUm === null || peak.atEdge) {
      throw new HardwareError('config', 'The reference focus curve has no complete peak: give the expected width');
    }
    return {
      fwhmUm: peak.fwhmUm,
      from: m.sim
        ? 'the virtual microscope optics on this field (a perfect stage)'
        : `the ${base.setup} optics on the shipped slide (a perfect stage); real slides differ by some 20 %`,
    };
  } finally {
    await vm.dispose();
  }
}

function referenceOptions(m: Microscope): SimOptions {
  if (m.sim) {
    const o = m.sim.options;
    return {
      setup: o.setup,
      slidePath: o.slidePath,
      slidePixelSizeUm: o.slidePixelSizeUm,
      sample: o.sample,
      camera: o.camera,
      roi: { width: m.camera.info().width, height: m.camera.info().height },
      model: o.model,
      zFocusUm: m.sim.truth().zFocusUm,
      zLimits: { minUm: m.sim.truth().zFocusUm - 100, maxUm: m.sim.truth().zFocusUm + 100 },
      seed: o.seed,
      renderThreads: o.renderThreads,
    };
  }
  if (!isSetupPresetId(m.setupId)) {
    throw new HardwareError(
      'config',
      `No optics model for the optical setup "${m.setupId}": give the expected focus-curve width (um)`,
    );
  }
  return { setup: m.setupId, roi: { width: 512, height: 512 }, renderThreads: 0, zFocusUm: 0 };
}
