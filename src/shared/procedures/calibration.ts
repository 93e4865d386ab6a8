/**
 * The calibration wizard: each step measures one property of the connected microscope as a task (it drives the stage
 * and the camera), reports what it found with an explanation and the curves behind it, and proposes values the
 * operator may save into the hardware profile.
 */
import { z } from 'zod';
import { procedure } from '../contract';
import { AxisDirection } from '../hardware-profile';
import { HardwareConnection } from '../schemas/hardware';
import { TaskStarted } from '../schemas/task';
import { Empty } from './common';
import { ProfileEntry } from './profiles';

export const CALIBRATION_STEPS = ['direction', 'um-per-step', 'backlash', 'settle', 'depth-of-field'] as const;
export const CalibrationStep = z.enum(CALIBRATION_STEPS);
export type CalibrationStep = z.infer<typeof CalibrationStep>;

const Span = z.number().finite().positive().max(200);
const Step = z.number().finite().positive().max(20);

export const CalibrationRunInput = z.discriminatedUnion('step', [
  z
    .object({
      step: z.literal('direction'),
      /** The +z test move, and the distance either side of focus for the comparison of planes of equal sharpness. */
      offsetUm: Step.optional(),
      searchRangeUm: Span.optional(),
      searchStepUm: Step.optional(),
    })
    .strict(),
  z
    .object({
      step: z.literal('um-per-step'),
      /** Width of the focus curve the optics predict (um); default: rendered by the virtual microscope's optics. */
      expectedFwhmUm: Step.optional(),
      tolerance: z.number().positive().max(1).optional(),
    })
    .strict(),
  z.object({ step: z.literal('backlash'), rangeUm: Span.optional(), stepUm: Step.optional() }).strict(),
  z
    .object({
      step: z.literal('settle'),
      stepUm: Step.optional(),
      repeats: z.number().int().min(1).max(10).optional(),
      maxMs: z.number().int().min(100).max(30_000).optional(),
    })
    .strict(),
  z.object({ step: z.literal('depth-of-field'), rangeUm: Span.optional(), stepUm: Step.optional() }).strict(),
]);
export type CalibrationRunInput = z.infer<typeof CalibrationRunInput>;

export const CurvePoint = z.object({ zUm: z.number(), sharpness: z.number() });

/** Values a step proposes for the profile; only what it measured. */
export const CalibrationValues = z.object({
  backlashUm: z.number().finite().min(0).max(100).optional(),
  settleMs: z.number().int().min(0).max(60_000).optional(),
  zDirection: AxisDirection.optional(),
  stepsPerUm: z.number().finite().positive().optional(),
});
export type CalibrationValues = z.infer<typeof CalibrationValues>;

const Common = {
  profileId: z.string().nullable(),
  profileName: z.string().nullable(),
  finishedAt: z.number(),
  explanation: z.string(),
  suggested: CalibrationValues,
};

export const CalibrationResult = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('direction'),
    ...Common,
    readbackDeltaUm: z.number(),
    readbackOk: z.boolean(),
    focusUm: z.number(),
    opticalVerdict: z.enum(['consistent', 'reversed', 'undetermined']),
    method: z.enum(['even-odd-correlation', 'phase-skewness']),
    evenOddCorrelation: z.number().nullable(),
    phaseSkew: z.number(),
    currentZDirection: AxisDirection,
    instructions: z.string(),
  }),
  z.object({
    step: z.literal('um-per-step'),
    ...Common,
    measuredFwhmUm: z.number(),
    expectedFwhmUm: z.number(),
    /** Where the expected width came from. */
    expectedFrom: z.string(),
    ratio: z.number(),
    verdict: z.enum(['ok', 'suspect']),
    configuredStepsPerUm: z.number(),
    curve: z.array(CurvePoint),
  }),
  z.object({
    step: z.literal('backlash'),
    ...Common,
    backlashUm: z.number(),
    peakUpUm: z.number(),
    peakDownUm: z.number(),
    recommendedOvershootUm: z.number(),
    upCurve: z.array(CurvePoint),
    downCurve: z.array(CurvePoint),
  }),
  z.object({
    step: z.literal('settle'),
    ...Common,
    settleMs: z.number(),
    perMoveMs: z.array(z.number()),
    noiseLevel: z.number(),
    frameIntervalMs: z.number(),
  }),
  z.object({
    step: z.literal('depth-of-field'),
    ...Common,
    dofUm: z.number(),
    focusUm: z.number(),
    /** lambda*n/NA^2 + n*e/(M*NA) for the profile's optical setup, where known. */
    predictedDofUm: z.number().nullable(),
    curve: z.array(CurvePoint),
  }),
]);
export type CalibrationResult = z.infer<typeof CalibrationResult>;

export const ApplyCalibrationInput = CalibrationValues.extend({
  /** Reopen the devices so the new values take effect (default true). */
  reconnect: z.boolean().default(true),
})
  .strict()
  .refine(
    (v) =>
      v.backlashUm !== undefined ||
      v.settleMs !== undefined ||
      v.zDirection !== undefined ||
      v.stepsPerUm !== undefined,
    { message: 'nothing to save: give backlashUm, settleMs, zDirection or stepsPerUm' },
  );

export const calibrationProcedures = {
  'calibration.run': procedure({
    summary: 'Run one calibration step on the connected microscope (a task using the stage and the camera)',
    input: CalibrationRunInput,
    output: TaskStarted,
    task: true,
  }),
  'calibration.results': procedure({
    summary: 'The latest result of each calibration step for the profile in use',
    input: Empty,
    output: z.object({ profileId: z.string().nullable(), results: z.array(CalibrationResult) }),
  }),
  'calibration.apply': procedure({
    summary:
      'Save measured values (backlash, settle time, Z direction, steps per um) into the profile in use; a built-in profile is copied first',
    input: ApplyCalibrationInput,
    output: z.object({ profile: ProfileEntry, copiedFrom: z.string().nullable(), connection: HardwareConnection }),
  }),
};
