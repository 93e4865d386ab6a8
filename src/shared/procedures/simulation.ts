/** The virtual microscope as a data source: labelled defocus stacks written to a folder. */
import { z } from 'zod';
import { procedure } from '../contract';
import { ZRangeSchema } from '../dataset';
import { TaskStarted } from '../schemas/task';

export const SimulateStackInput = z
  .object({
    /** PNG/JPEG/TIFF in-focus slide image; the shipped default slide when absent. */
    slidePath: z.string().min(1).optional(),
    /** um per slide pixel (the default suits the shipped slides, see resources/slides/ATTRIBUTION.md). */
    slidePixelSizeUm: z.number().finite().positive().optional(),
    outDir: z.string().min(1),
    setup: z.enum(['20x', '40x']).default('20x'),
    range: ZRangeSchema.default({ fromUm: -10, toUm: 10, stepUm: 0.5 }),
    seed: z.number().int().min(0).default(0),
    xUm: z.number().finite().default(0),
    yUm: z.number().finite().default(0),
    bitDepth: z.union([z.literal(8), z.literal(16)]).default(8),
    /** Frame size in camera pixels (default: the setup's full sensor). */
    width: z.number().int().min(16).max(16384).optional(),
    height: z.number().int().min(16).max(16384).optional(),
    /** A lamp of this colour temperature (K) behind a camera white-balanced for 3200 K (a white LED: 5000-6500). */
    lampK: z.number().min(1000).max(20000).optional(),
    /** The camera's exposure times this (0.25: a quarter of the light; above ~1.5 the glass clips). */
    exposureFactor: z.number().gt(0).max(100).optional(),
  })
  .strict();

export const simulationProcedures = {
  'sim.stack': procedure({
    summary: 'Render a labelled defocus stack of a slide on the virtual microscope (PNG per plane + stack.csv)',
    input: SimulateStackInput,
    output: TaskStarted,
    task: true,
  }),
};
