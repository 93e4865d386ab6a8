/**
 * Guided defocus-stack acquisition: plan, start / resume (tasks with pause, resume, cancel), the coarse-focus helper
 * (quick focus curve, go to best, "in focus here"), and synthetic dataset generation on the virtual microscope.
 * Units: um; +z moves the objective away from the sample; every plane is approached from below.
 */
import { z } from 'zod';
import { procedure } from '../contract';
import { FocusCurvePointSchema, FocusLabelSchema, RunStateSchema, SharpnessMetricSchema } from '../dataset';
import { StagePosition } from '../schemas/hardware';
import { TaskStarted } from '../schemas/task';
import { Um } from '../units';
import { Empty, Ok } from './common';

const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const SetupId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'setup id: letters, digits, . _ - only');

export const DEFAULT_RANGE = { fromUm: -10, toUm: 10, stepUm: 0.5 } as const;
export const MAX_PLANES_PER_STACK = 2001;

export const ZRange = z
  .object({
    fromUm: Um.min(-1000).max(1000).default(DEFAULT_RANGE.fromUm),
    toUm: Um.min(-1000).max(1000).default(DEFAULT_RANGE.toUm),
    stepUm: Um.min(0.01, 'step must be at least 0.01 um').max(100).default(DEFAULT_RANGE.stepUm),
  })
  .strict()
  .refine((r) => r.toUm > r.fromUm, 'range: "to" must be above "from"')
  .refine(
    (r) => (r.toUm - r.fromUm) / r.stepUm < MAX_PLANES_PER_STACK,
    `range: more than ${MAX_PLANES_PER_STACK - 1} planes`,
  );
export type ZRange = z.infer<typeof ZRange>;

export const LateralGrid = z
  .object({
    nx: z.number().int().min(1).max(100).default(1),
    ny: z.number().int().min(1).max(100).default(1),
    /** Step between positions (um); default 1 mm. */
    stepUm: Um.positive().max(100_000).default(1000),
  })
  .strict();

const Position = z.object({ xUm: Um, yUm: Um }).strict();

/** What the Acquire wizard (and `focus-station acquire`) sends. */
export const AcquisitionRequest = z
  .object({
    /** Sample / slide name: an existing slide of that name is reused. */
    slideName: z.string().trim().min(1, 'a slide name is required').max(200),
    sample: z.string().max(200).optional(),
    stain: z.string().max(100).optional(),
    /** Optical setup id (from the dataset or an optics preset). */
    setupId: SetupId,
    /** "In focus here": the stack's planes are z0 + range. */
    z0Um: Um.min(-100_000).max(100_000),
    range: ZRange.default(DEFAULT_RANGE),
    /** A lateral grid from the current XY position... */
    grid: LateralGrid.optional(),
    /** ...or an explicit position list (used instead of the grid). */
    positions: z.array(Position).min(1).max(10_000).optional(),
    /** Extra wait after each move (ms), on top of the stage's own settle time. */
    settleMs: z.number().int().min(0).max(60_000).default(0),
    /** Backlash-free approach: this far below the first plane, then upward. */
    overshootUm: Um.min(0).max(1000).default(5),
    exposureMs: z.number().positive().max(60_000).optional(),
    notes: z.string().max(2000).optional(),
  })
  .strict()
  .refine((r) => !(r.grid && r.positions), 'give a grid or a position list, not both');
export type AcquisitionRequest = z.input<typeof AcquisitionRequest>;

export const AcquisitionPlan = z.object({
  planesPerStack: z.number().int(),
  zPlanesUm: z.array(z.number()),
  positions: z.array(z.object({ xUm: z.number().nullable(), yUm: z.number().nullable() })),
  totalPlanes: z.number().int(),
  /** Estimated duration (s) from the stage settle, exposure and the measured time per stored plane. */
  estimatedS: z.number().nonnegative(),
  secondsPerPlane: z.number().nonnegative(),
});
export type AcquisitionPlan = z.infer<typeof AcquisitionPlan>;

export const ResumableRun = z.object({
  runId: z.number().int(),
  state: RunStateSchema,
  slideName: z.string().nullable(),
  setupId: z.string().nullable(),
  source: z.string(),
  planesDone: z.number().int(),
  planesTotal: z.number().int(),
  startedAt: z.string(),
  updatedAt: z.string(),
  error: z.string().nullable(),
});
export type ResumableRun = z.infer<typeof ResumableRun>;

export const RunRef = z.object({ runId: Id }).strict();

export const QuickFocusInput = z
  .object({
    /** Sweep centre (um); default: the current z. */
    centerUm: Um.optional(),
    halfRangeUm: Um.min(0.5).max(500).default(10),
    stepUm: Um.min(0.05).max(50).default(1),
    metric: SharpnessMetricSchema.optional(),
    settleMs: z.number().int().min(0).max(10_000).default(0),
  })
  .strict()
  .refine((q) => (2 * q.halfRangeUm) / q.stepUm <= 400, 'quick focus: more than 400 planes');

export const QuickFocusResult = z.object({
  points: z.array(FocusCurvePointSchema),
  fitted: z.array(FocusCurvePointSchema),
  label: FocusLabelSchema,
  /** The fitted peak, or the sharpest plane when the fit failed. */
  zBestUm: z.number(),
});
export type QuickFocusResult = z.infer<typeof QuickFocusResult>;

export const GoToZInput = z.object({ zUm: Um, overshootUm: Um.min(0).max(1000).default(5) }).strict();

export const InFocusHere = z.object({ z0Um: z.number(), xUm: z.number(), yUm: z.number() });

export const SimRequest = z
  .object({
    setupId: z.enum(['20x', '40x']).default('20x'),
    /** A folder of slide images (every image in it) or one image; default: the shipped default slide. */
    slides: z.string().trim().min(1).max(4096).optional(),
    /** A text file naming the slides to use, one per line. */
    slidesList: z.string().trim().min(1).max(4096).optional(),
    /** Slide names to hold out (e.g. for a test set). */
    exclude: z.array(z.string().trim().min(1).max(300)).max(1000).default([]),
    grid: LateralGrid.default({ nx: 1, ny: 1, stepUm: 1000 }),
    range: ZRange.default(DEFAULT_RANGE),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(0),
    roi: z
      .object({ width: z.number().int().min(32).max(8192), height: z.number().int().min(32).max(8192) })
      .strict()
      .optional(),
    /** Domain randomisation of the optics, stain, illumination, camera and tilt per stack. */
    randomize: z.boolean().default(true),
    focusJitterUm: z.number().min(0).max(5).default(1.5),
    renderThreads: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    /** Continue this generation's unfinished runs (same settings) instead of refusing to repeat it. */
    resume: z.boolean().default(false),
  })
  .strict();
export type SimRequest = z.input<typeof SimRequest>;

export const acquisitionProcedures = {
  'acquisition.plan': procedure({
    summary: 'Planes, positions, plane count and estimated duration of an acquisition (nothing moves)',
    input: AcquisitionRequest,
    output: AcquisitionPlan,
  }),
  'acquisition.start': procedure({
    summary: 'Acquire defocus stacks on the microscope in use (task: pause, resume, cancel)',
    input: AcquisitionRequest,
    output: TaskStarted,
    task: true,
  }),
  'acquisition.resumable': procedure({
    summary: 'Interrupted acquisition runs that can be resumed',
    input: Empty,
    output: z.array(ResumableRun),
  }),
  'acquisition.resume': procedure({
    summary: 'Resume an interrupted acquisition run where it stopped (task)',
    input: RunRef,
    output: TaskStarted,
    task: true,
  }),
  'acquisition.abandon': procedure({
    summary: 'Stop offering an interrupted run for resume (its stored planes are kept)',
    input: RunRef,
    output: Ok,
  }),
  'acquisition.quickFocus': procedure({
    summary: 'Quick focus curve: a short sweep approached from below; returns the curve and the best z',
    input: QuickFocusInput,
    output: QuickFocusResult,
  }),
  'acquisition.goToZ': procedure({
    summary: 'Move Z to a position, approached from below (backlash-free)',
    input: GoToZInput,
    output: StagePosition,
  }),
  'acquisition.inFocusHere': procedure({
    summary: '"In focus here": the current z becomes z0 of the stacks',
    input: Empty,
    output: InFocusHere,
  }),
  'acquisition.simulate': procedure({
    summary: 'Synthetic dataset on the virtual microscope: many slides and positions, domain randomisation (task)',
    input: SimRequest,
    output: TaskStarted,
    task: true,
  }),
};
