import { z } from 'zod';
import { Um, PositiveUm } from '../units';
import { OpticalSetupSchema } from '../optics';

export const Axis = z.enum(['z', 'x', 'y']);
export type Axis = z.infer<typeof Axis>;

export const AxisLimits = z.object({ minUm: Um, maxUm: Um });

export const StagePosition = z.object({
  zUm: Um,
  xUm: Um,
  yUm: Um,
  busy: z.boolean(),
});
export type StagePosition = z.infer<typeof StagePosition>;

export const CameraSummary = z.object({
  kind: z.string(),
  name: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  channels: z.union([z.literal(1), z.literal(3)]),
  bitDepth: z.union([z.literal(8), z.literal(12), z.literal(16)]),
  pixelPitchUm: z.number().nonnegative(),
  pixelSizeUm: PositiveUm,
  exposureMs: z.number().positive(),
});

/** The link to the devices of a hardware profile, as the UI shows it. */
export const ConnectionState = z.enum(['connected', 'connecting', 'disconnected', 'lost']);
export type ConnectionState = z.infer<typeof ConnectionState>;

export const HardwareConnection = z.object({
  /** connected: devices open; connecting: a profile is being opened; disconnected: closed on purpose; lost: a device
   * dropped (cable pulled, port gone) and the devices wait for a reconnect. */
  state: ConnectionState,
  /** The profile in use (null for devices given directly, e.g. by a test or an unsaved profile). */
  profileId: z.string().nullable(),
  profileName: z.string().nullable(),
  builtin: z.boolean(),
  /** ms since the epoch of the last change. */
  since: z.number(),
  /** Why the state is what it is, in words for the operator (a fallback at start, the error of a lost device). */
  message: z.string().nullable(),
});
export type HardwareConnection = z.infer<typeof HardwareConnection>;

export const HardwareStatus = z.object({
  connected: z.boolean(),
  profile: z.string(),
  camera: CameraSummary,
  zStage: z.object({ name: z.string(), limits: AxisLimits, settleMs: z.number().nonnegative() }),
  xyStage: z.object({ name: z.string(), limits: z.object({ x: AxisLimits, y: AxisLimits }) }),
  position: StagePosition,
  setupId: z.string(),
  /** The optical setup in use, where the profile knows it. */
  optics: OpticalSetupSchema.nullable(),
  /** Depth of field of that setup (um), lambda*n/NA^2 + n*e/(M*NA). */
  depthOfFieldUm: z.number().nullable(),
  /** The link state (absent from backends older than the profile layer). */
  connection: HardwareConnection.optional(),
});
export type HardwareStatus = z.infer<typeof HardwareStatus>;

/** Jog sizes the UI offers; any finite amount is accepted by the API, the stage enforces its limits. */
export const JOG_STEPS_UM = { fine: 0.5, coarse: 5 } as const;

export const JogInput = z.object({ axis: Axis.default('z'), deltaUm: Um.refine((v) => v !== 0, 'a jog of 0 um') });
export const MoveToInput = z.object({ axis: Axis.default('z'), targetUm: Um });

export const PreviewInput = z.object({
  /** Longest side of the returned preview in px; the frame is scaled down to fit. */
  maxSize: z.number().int().min(64).max(4096).default(1024),
  quality: z.number().int().min(30).max(100).default(80),
});

export const Preview = z.object({
  /** A data: URL (image/jpeg), directly usable as an <img> src. */
  image: z.string().startsWith('data:image/'),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  frameWidth: z.number().int().positive(),
  frameHeight: z.number().int().positive(),
  zUm: Um,
  pixelSizeUm: PositiveUm,
  timestampMs: z.number(),
  /** Normalised variance of the frame: the live sharpness readout. */
  sharpness: z.number().nonnegative(),
});
export type Preview = z.infer<typeof Preview>;

export const ExposureInput = z.object({ exposureMs: z.number().finite().positive().max(60_000) });
