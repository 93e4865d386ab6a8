import type { HandlersOf } from '../../../shared/contract';
import type { simulationProcedures } from '../../../shared/procedures/simulation';
import { simulateStack } from '../../../hardware/optics';
import { cameraUnderLamp } from '../../../hardware/optics/randomize';
import { resolveOpticalSetup } from '../../../shared/optics';
import type { Services } from '../../services/container';

export function simulationHandlers(s: Services): HandlersOf<typeof simulationProcedures> {
  return {
    'sim.stack': async (input) => {
      const task = s.tasks.start(
        { kind: 'sim.stack', title: `Simulate stack → ${input.outDir}`, uses: ['cpu'] },
        (ctx) =>
          simulateStack({
            slidePath: input.slidePath,
            slidePixelSizeUm: input.slidePixelSizeUm,
            setup: input.setup,
            rangeUm: { start: input.range.fromUm, stop: input.range.toUm, step: input.range.stepUm },
            seed: input.seed,
            xUm: input.xUm,
            yUm: input.yUm,
            outDir: input.outDir,
            bitDepth: input.bitDepth,
            width: input.width,
            height: input.height,
            ...(input.lampK !== undefined || input.exposureFactor !== undefined
              ? {
                  camera: cameraUnderLamp(
                    resolveOpticalSetup(input.setup).wavelengthsUm,
                    input.lampK,
                    input.exposureFactor,
                  ),
                }
              : {}),
            signal: ctx.signal,
            onProgress: (done, total, file) => ctx.progress(done, total, file),
          }),
      );
      return { taskId: task.id };
    },
  };
}
