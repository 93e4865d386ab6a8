/**
 * Not a model: a stand-in that reads the virtual microscope's own truth. Every tile predicts `sign` x the true
 * defocus of the frame (Frame.meta.trueDefocusUm) plus Gaussian noise. The benchmark uses it to check the loop without
 * a network (--oracle); the tests use it as the perfect (sign 1) and the wrong-sign (sign -1) model.
 */
import { samplePixelSizeUm, SETUP_PRESETS, type SetupPresetId } from '../../shared/optics';
import type { DefocusPredictor } from './estimate';
import { gaussian } from './random';

export interface TruthPredictorOptions {
  modelId: string;
  setup: SetupPresetId;
  sigmaUm: number;
  seed: number;
  sign?: 1 | -1;
}

export function truthPredictor(o: TruthPredictorOptions): DefocusPredictor {
  const gauss = gaussian(o.seed);
  const sign = o.sign ?? 1;
  return {
    modelId: o.modelId,
    spec: {
      width: 224,
      height: 224,
      channels: ['R', 'G', 'B'],
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
      pixelSizeUm: samplePixelSizeUm(SETUP_PRESETS[o.setup]),
    },
    async predict({ frame, positions }) {
      const d = frame.meta?.trueDefocusUm as number;
      return positions.map(() => sign * d + o.sigmaUm * gauss());
    },
  };
}
