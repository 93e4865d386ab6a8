/** The virtual microscope (small ROI, instant moves) and stub predictors that know the simulator's truth. */
import { createVirtualMicroscope, type VirtualMicroscope } from '../../../src/hardware/sim';
import type { DefocusPredictor } from '../../../src/main/autofocus/estimate';
import type { AutofocusHardware } from '../../../src/main/autofocus/service';
import { truthPredictor as simulatorTruth } from '../../../src/main/autofocus/truth-predictor';

export async function smallMicroscope(
  zStart: number,
  options: { setup?: '20x' | '40x'; seed?: number } = {},
): Promise<VirtualMicroscope> {
  return createVirtualMicroscope({
    setup: options.setup ?? '20x',
    roi: { width: 672, height: 672 },
    timeScale: 0,
    zFocusUm: 0,
    zStart,
    seed: options.seed ?? 3,
    renderThreads: 0,
  });
}

export function hardwareOf(vm: VirtualMicroscope): AutofocusHardware {
  return { camera: vm.camera, zStage: vm.zStage, xyStage: vm.xyStage, setupId: vm.setup.id, setup: vm.setup };
}

/**
 * Every tile predicts `sign` x the simulator's true defocus of the frame, plus Gaussian noise (sigma um): the
 * "perfect model" (sign 1) and the "wrong-sign model" (sign -1).
 */
export function truthPredictor(sign: 1 | -1, sigmaUm = 0.08, seed = 9, setup: '20x' | '40x' = '20x'): DefocusPredictor {
  return simulatorTruth({ modelId: sign > 0 ? 'truth-stub' : 'wrong-sign-stub', sign, sigmaUm, seed, setup });
}
