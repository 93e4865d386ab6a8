import type { Command } from 'commander';
import { resolve } from 'node:path';
import { parseRange } from '../../../hardware/optics';
import type { StackResult } from '../../../hardware/optics';
import { CliError, printJson, withApi } from '../context';
import { runTask } from '../task-progress';

function number(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new CliError(`${name} must be a number, not "${v}"`, 2);
    return n;
  };
}

export function registerSimulateStack(program: Command): void {
  program
    .command('simulate-stack')
    .description('render a labelled defocus stack of a slide on the virtual microscope: one PNG per plane + stack.csv')
    .requiredOption('--slide <image>', 'in-focus slide image (PNG/JPEG/TIFF)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--setup <id>', 'optical setup: 20x (20X/0.75) or 40x (40X/0.65)', '20x')
    .option('--range <start:stop:step>', 'defocus planes in um', '-10:10:0.5')
    .option('--seed <n>', 'noise seed', number('--seed'), 0)
    .option('--x <um>', 'field centre x on the slide (um)', number('--x'), 0)
    .option('--y <um>', 'field centre y on the slide (um)', number('--y'), 0)
    .option('--slide-pixel-size <um>', 'um per slide pixel (default 0.17)', number('--slide-pixel-size'))
    .option('--bit-depth <8|16>', 'PNG bit depth', number('--bit-depth'), 8)
    .option('--size <WxH>', 'frame size in camera pixels (default: the full sensor)')
    .option(
      '--lamp <kelvin>',
      'a lamp of this colour temperature behind a camera white-balanced for 3200 K (a white LED without white balance: 5000-6500)',
      number('--lamp'),
    )
    .option(
      '--exposure <factor>',
      "the camera's exposure times this factor (0.25: a quarter of the light)",
      number('--exposure'),
    )
    .option('--json', 'print the result (planes and their defocus) as JSON')
    .action(async (opts) => {
      const planes = parseRange(opts.range);
      const step = planes.length > 1 ? planes[1] - planes[0] : 1;
      let size: { width?: number; height?: number } = {};
      if (opts.size) {
        const m = /^(\d+)x(\d+)$/.exec(opts.size);
        if (!m) throw new CliError(`--size must look like 1280x960, not "${opts.size}"`, 2);
        size = { width: Number(m[1]), height: Number(m[2]) };
      }
      const task = await withApi((run) =>
        runTask(run, 'sim.stack', {
          slidePath: resolve(opts.slide),
          outDir: resolve(opts.out),
          setup: opts.setup,
          range: { fromUm: planes[0], toUm: planes[planes.length - 1], stepUm: Math.abs(step) },
          seed: opts.seed,
          xUm: opts.x,
          yUm: opts.y,
          bitDepth: opts.bitDepth,
          ...(opts.slidePixelSize ? { slidePixelSizeUm: opts.slidePixelSize } : {}),
          ...(opts.lamp !== undefined ? { lampK: opts.lamp } : {}),
          ...(opts.exposure !== undefined ? { exposureFactor: opts.exposure } : {}),
          ...size,
        }),
      );
      const result = task.result as StackResult;
      if (opts.json) return printJson(result);
      process.stdout.write(
        `${result.planes.length} planes at ${result.pixelSizeUm.toFixed(4)} um/px written to ${result.outDir} (${result.csvPath})\n`,
      );
    });
}
