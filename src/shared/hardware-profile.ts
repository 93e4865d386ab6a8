/**
 * Hardware profiles: which camera, which stage on which port, its units, direction, soft limits,
 * backlash and settle time, and the optical setup in use. Pure zod (no Node imports): the renderer
 * bundles it for the Hardware page's forms.
 */
import { z } from 'zod';
import { PositiveUm, Um } from './units';

export const SERIAL_STAGE_DRIVERS = ['grbl', 'sangaboard', 'prior', 'asi', 'tango', 'ludl'] as const;
export const SerialStageDriver = z.enum(SERIAL_STAGE_DRIVERS);
export type SerialStageDriver = z.infer<typeof SerialStageDriver>;

export const AxisDirection = z.union([z.literal(1), z.literal(-1)]);

export const SoftLimits = z
  .object({ minUm: Um, maxUm: Um })
  .refine((l) => l.minUm < l.maxUm, { message: 'the lower soft limit must be below the upper one' });

const PixelFormat = z.enum(['rgb24', 'gray', 'gray16le']);

export const SimCameraProfile = z.object({
  kind: z.literal('sim'),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
});

export const FfmpegCameraProfile = z.object({
  kind: z.literal('ffmpeg'),
  /** v4l2 on Linux, dshow on Windows, avfoundation on macOS; lavfi for a synthetic source. */
  input: z.enum(['v4l2', 'dshow', 'avfoundation', 'lavfi']),
  /** /dev/video0, a DirectShow name, an AVFoundation index, or a lavfi graph. */
  device: z.string().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  frameRate: z.number().positive().optional(),
  /** What the camera sends (v4l2 -input_format: yuyv422, mjpeg...). */
  inputFormat: z.string().optional(),
  pixelFormat: PixelFormat.default('rgb24'),
  pixelSizeUm: PositiveUm,
  pixelPitchUm: z.number().nonnegative().default(0),
  exposureMs: z.number().positive().optional(),
  gain: z.number().nonnegative().optional(),
  ffmpegPath: z.string().optional(),
});

export const FolderCameraProfile = z.object({
  kind: z.literal('folder'),
  folder: z.string().min(1),
  /** Used when an image has no sidecar "<name>.json" with pixel_size_um. */
  pixelSizeUm: PositiveUm.optional(),
  pixelPitchUm: z.number().nonnegative().default(0),
  stableMs: z.number().int().positive().default(300),
  timeoutMs: z.number().int().positive().default(30_000),
});

export const CameraProfile = z.discriminatedUnion('kind', [SimCameraProfile, FfmpegCameraProfile, FolderCameraProfile]);
export type CameraProfile = z.infer<typeof CameraProfile>;

export const StageProfile = z
  .object({
    driver: z.union([z.literal('sim'), SerialStageDriver]),
    /** Serial port for real controllers (/dev/ttyUSB0, COM3). */
    port: z.string().optional(),
    baud: z.number().int().positive().optional(),
    /** Controller units per um (steps per um; GRBL mm per um = 0.001; ASI 10). Absent: driver default or controller report. */
    stepsPerUm: z.number().positive().optional(),
    /** -1 when the controller's + runs towards the sample (+z must move the objective away). */
    zDirection: AxisDirection.default(1),
    limits: SoftLimits,
    backlashUm: z.number().nonnegative().default(0),
    settleMs: z.number().int().nonnegative().default(0),
    timeoutMs: z.number().int().positive().optional(),
    moveTimeoutMs: z.number().int().positive().optional(),
    /** GRBL jog feed rate (mm/min). */
    feedMmPerMin: z.number().positive().optional(),
  })
  .refine((s) => s.driver === 'sim' || (s.port !== undefined && s.port.length > 0), {
    message: 'a serial stage needs a port',
    path: ['port'],
  });
export type StageProfile = z.infer<typeof StageProfile>;

export const XYStageProfile = z.object({
  /** 'same-controller': the XY axes of the Z stage's controller. */
  driver: z.enum(['sim', 'same-controller', 'none']),
  limits: z.object({ x: SoftLimits, y: SoftLimits }),
  stepsPerUm: z.object({ x: z.number().positive(), y: z.number().positive() }).optional(),
  direction: z.object({ x: AxisDirection, y: AxisDirection }).default({ x: 1, y: 1 }),
  settleMs: z.number().int().nonnegative().default(0),
});
export type XYStageProfile = z.infer<typeof XYStageProfile>;

export const HardwareProfile = z.object({
  name: z.string().min(1).max(120),
  camera: CameraProfile,
  stage: StageProfile,
  xyStage: XYStageProfile.optional(),
  /** Optical setup preset id (objective, NA, camera) used for pixel size and models. */
  opticalSetupId: z.string().min(1),
  notes: z.string().max(2000).optional(),
  updatedAt: z.string().optional(),
});
export type HardwareProfile = z.infer<typeof HardwareProfile>;
export type HardwareProfileInput = z.input<typeof HardwareProfile>;

/** A file-name-safe id from a profile name. */
export function profileId(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 80);
  return slug.length > 0 ? slug : 'profile';
}
