/**
 * Optical setups and virtual-microscope options as data (DESIGN.md "Virtual microscope").
 *
 * Pure module: no Node imports, it is bundled into the renderer too. Every length is in micrometres.
 * A setup is validated here, with one clear message, before any rendering starts.
 */
import { z } from 'zod';

const finite = (what: string) => z.number({ error: `${what} must be a number` }).finite(`${what} must be finite`);

export const WavelengthsSchema = z.object({
  r: finite('red wavelength')
    .min(0.3, 'red wavelength must be 0.3..1.2 um')
    .max(1.2, 'red wavelength must be 0.3..1.2 um'),
  g: finite('green wavelength')
    .min(0.3, 'green wavelength must be 0.3..1.2 um')
    .max(1.2, 'green wavelength must be 0.3..1.2 um'),
  b: finite('blue wavelength')
    .min(0.3, 'blue wavelength must be 0.3..1.2 um')
    .max(1.2, 'blue wavelength must be 0.3..1.2 um'),
});
export type Wavelengths = z.infer<typeof WavelengthsSchema>;

const OpticalSetupBase = z.object({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  magnification: finite('magnification').gt(0, 'magnification must be > 0').max(500, 'magnification must be <= 500'),
  /** Objective numerical aperture. */
  na: finite('NA').gt(0, 'NA must be > 0').max(1.7, 'NA must be <= 1.7'),
  /** Refractive index of the objective's immersion medium (1 for air). */
  immersionIndex: finite('immersion index')
    .min(1, 'immersion index must be >= 1')
    .max(1.8, 'immersion index must be <= 1.8'),
  /** Condenser fill: NA_condenser = sigma * NA. 0 = coherent, 1 = matched condenser. */
  condenserSigma: finite('condenser sigma')
    .min(0, 'condenser sigma must be within 0..1')
    .max(1, 'condenser sigma must be within 0..1'),
  /** Effective centre wavelengths of the camera's R, G, B channels (um). A mono camera uses g. */
  wavelengthsUm: WavelengthsSchema,
  /** Physical sensor pixel pitch (um). */
  pixelPitchUm: finite('pixel pitch').gt(0, 'pixel pitch must be > 0').max(100, 'pixel pitch must be <= 100 um'),
  sensorWidthPx: z
    .number()
    .int('sensor width must be an integer')
    .min(16, 'sensor width must be >= 16 px')
    .max(16384, 'sensor width must be <= 16384 px'),
  sensorHeightPx: z
    .number()
    .int('sensor height must be an integer')
    .min(16, 'sensor height must be >= 16 px')
    .max(16384, 'sensor height must be <= 16384 px'),
  bitDepth: z.union([z.literal(8), z.literal(12), z.literal(16)]),
  colour: z.boolean(),
  /** Primary spherical aberration, Seidel W040 in waves (pupil phase 2*pi*W040*rho^4). */
  sphericalAberrationWaves: finite('spherical aberration')
    .min(-5, 'spherical aberration must be within -5..5 waves')
    .max(5, 'spherical aberration must be within -5..5 waves')
    .default(0),
  /** Free text: the camera/sensor this setup models. */
  camera: z.string().max(200).default(''),
});

export const OpticalSetupSchema = OpticalSetupBase.superRefine((s, ctx) => {
  if (s.na > s.immersionIndex) {
    ctx.addIssue({
      code: 'custom',
      path: ['na'],
      message: `NA ${s.na} cannot exceed the immersion index ${s.immersionIndex}`,
    });
  }
});
export type OpticalSetup = z.infer<typeof OpticalSetupSchema>;
export type OpticalSetupInput = z.input<typeof OpticalSetupSchema>;

/** Thrown for an invalid setup or simulator option; `code` is stable, the message is for the operator. */
export class OpticsConfigError extends Error {
  readonly code = 'OPTICS_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'OpticsConfigError';
  }
}

function firstIssue(err: z.ZodError, what: string): string {
  const i = err.issues[0];
  const where = i && i.path.length ? ` (${i.path.join('.')})` : '';
  return `Invalid ${what}${where}: ${i ? i.message : 'unknown problem'}`;
}

/** Parses and checks a setup; throws one OpticsConfigError naming the first problem. */
export function validateOpticalSetup(input: unknown): OpticalSetup {
  const r = OpticalSetupSchema.safeParse(input);
  if (!r.success) throw new OpticsConfigError(firstIssue(r.error, 'optical setup'));
  return r.data;
}

/** um per camera pixel at the sample = pitch / magnification. */
export function samplePixelSizeUm(setup: Pick<OpticalSetup, 'pixelPitchUm' | 'magnification'>): number {
  return setup.pixelPitchUm / setup.magnification;
}

/**
 * Depth of field (um), the classical sum of a wave-optical and a geometric term: lambda*n/NA^2 + n*e/(M*NA), with e
 * the camera pixel pitch, i.e. e/M = the pixel size at the sample. The one formula of the setups and the model cards.
 */
export function depthOfFieldAtUm(
  na: number,
  immersionIndex: number,
  pixelSizeUm: number,
  wavelengthUm: number,
): number {
  return (wavelengthUm * immersionIndex) / (na * na) + (immersionIndex * pixelSizeUm) / na;
}

/** Depth of field of a setup (um), at the green wavelength unless told otherwise. */
export function depthOfFieldUm(setup: OpticalSetup, wavelengthUm = setup.wavelengthsUm.g): number {
  return depthOfFieldAtUm(setup.na, setup.immersionIndex, samplePixelSizeUm(setup), wavelengthUm);
}

/** Highest spatial frequency (cycles/um) in a partially coherent image: (NA + sigma*NA)/lambda. */
export function incoherentCutoffPerUm(setup: OpticalSetup, wavelengthUm: number): number {
  return (setup.na * (1 + setup.condenserSigma)) / wavelengthUm;
}

/** Typical camera-channel centre wavelengths of a colour CMOS sensor with an IR-cut filter. */
export const RGB_WAVELENGTHS_UM: Wavelengths = { r: 0.61, g: 0.54, b: 0.465 };

/**
 * The paper's two setups. 20x: 20X/0.75 air on a Sony IMX264 (2448x2048, 3.45 um, 12-bit ADC) colour camera,
 * e.g. a FLIR Blackfly S BFS-U3-51S5C. 40x: 40X/0.65 air on a 5 MP 2.2 um colour camera (2592x1944, e.g. an
 * OmniVision OV5647/Aptina MT9P031-class sensor). Condenser sigma 0.7 is a usual Koehler setting.
 */
export const SETUP_PRESETS: Record<'20x' | '40x', OpticalSetup> = {
  '20x': {
    id: '20x',
    name: '20X/0.75 air, Sony IMX264 colour (2448x2048, 3.45 um)',
    magnification: 20,
    na: 0.75,
    immersionIndex: 1,
    condenserSigma: 0.7,
    wavelengthsUm: RGB_WAVELENGTHS_UM,
    pixelPitchUm: 3.45,
    sensorWidthPx: 2448,
    sensorHeightPx: 2048,
    bitDepth: 8,
    colour: true,
    sphericalAberrationWaves: 0,
    camera: 'Sony IMX264 (FLIR Blackfly S BFS-U3-51S5C class), 3.45 um pixels',
  },
  '40x': {
    id: '40x',
    name: '40X/0.65 air, 5 MP colour (2592x1944, 2.2 um)',
    magnification: 40,
    na: 0.65,
    immersionIndex: 1,
    condenserSigma: 0.7,
    wavelengthsUm: RGB_WAVELENGTHS_UM,
    pixelPitchUm: 2.2,
    sensorWidthPx: 2592,
    sensorHeightPx: 1944,
    bitDepth: 8,
    colour: true,
    sphericalAberrationWaves: 0,
    camera: '5 MP 2.2 um colour CMOS (OV5647 / MT9P031 class)',
  },
};
export type SetupPresetId = keyof typeof SETUP_PRESETS;

export function isSetupPresetId(s: unknown): s is SetupPresetId {
  return s === '20x' || s === '40x';
}

/** A preset by id, or a full setup object, validated. */
export function resolveOpticalSetup(setup: SetupPresetId | OpticalSetupInput): OpticalSetup {
  if (typeof setup === 'string') {
    if (!isSetupPresetId(setup)) throw new OpticsConfigError(`Unknown optical setup "${setup}" (known: 20x, 40x)`);
    return SETUP_PRESETS[setup];
  }
  return validateOpticalSetup(setup);
}

// ---------------------------------------------------------------------------------------------------------------
// Sample, camera and simulator options

/** How the slide image becomes a complex transmission t = exp(-a + i*phi). */
export const SampleOptionsSchema = z.object({
  /** 'stained': absorption dominates; 'unstained': weak absorption, phase dominates (e.g. BF_hiPSC). */
  kind: z.enum(['stained', 'unstained']).default('stained'),
  /** Multiplies the optical density from Beer-Lambert (1 = reproduce the slide in focus). Default by kind. */
  absorptionScale: finite('absorption scale')
    .min(0, 'absorption scale must be within 0..5')
    .max(5, 'absorption scale must be within 0..5')
    .optional(),
  /** Phase (rad at 0.55 um) per unit natural-log optical density. Default by kind. */
  phaseScaleRad: finite('phase scale')
    .min(-20, 'phase scale must be within -20..20 rad')
    .max(20, 'phase scale must be within -20..20 rad')
    .optional(),
  /** Optional 3x3 row-major matrix applied to the OD vector (stain colour jitter); identity when absent. */
  stainMatrix: z.array(finite('stain matrix entry')).length(9, 'stain matrix must have 9 entries').optional(),
});
export type SampleOptions = z.input<typeof SampleOptionsSchema>;

export const SAMPLE_DEFAULTS = {
  stained: { absorptionScale: 1, phaseScaleRad: 0.3 },
  unstained: { absorptionScale: 0.15, phaseScaleRad: 1.0 },
} as const;

export const CameraModelOptionsSchema = z.object({
  exposureMs: finite('exposure')
    .gt(0, 'exposure must be > 0 ms')
    .max(60_000, 'exposure must be <= 60000 ms')
    .default(10),
  /** Photo-electrons per ms of exposure at full white (no specimen), before vignetting. */
  electronsPerMsAtWhite: finite('signal rate')
    .gt(0, 'signal rate must be > 0')
    .max(1e8, 'signal rate is unrealistically high')
    .default(600),
  fullWellE: finite('full well').gt(0, 'full well must be > 0').max(1e7, 'full well must be <= 1e7 e-').default(10_500),
  readNoiseE: finite('read noise')
    .min(0, 'read noise must be >= 0')
    .max(1000, 'read noise must be <= 1000 e-')
    .default(2.4),
  /** Relative signal loss in the image corners (0 = none, 0.3 = corners at 70 %). */
  vignetting: finite('vignetting')
    .min(0, 'vignetting must be within 0..0.95')
    .max(0.95, 'vignetting must be within 0..0.95')
    .default(0.15),
  /** Per-channel gain of the illumination/white balance (R, G, B); 1,1,1 = white-balanced. */
  whiteBalance: z.tuple([finite('white balance'), finite('white balance'), finite('white balance')]).default([1, 1, 1]),
  /** 'srgb' writes gamma-encoded values (like the slide PNGs), 'linear' raw sensor values. Default: srgb for 8-bit. */
  outputEncoding: z.enum(['srgb', 'linear']).optional(),
  shotNoise: z.boolean().default(true),
});
export type CameraModelOptions = z.input<typeof CameraModelOptionsSchema>;

export const TiltSchema = z.object({
  /** Slide tilt: extra defocus (um) per mm across the field in x and y. */
  xUmPerMm: finite('tilt x')
    .min(-1000, 'tilt must be within -1000..1000 um/mm')
    .max(1000, 'tilt must be within -1000..1000 um/mm')
    .default(0),
  yUmPerMm: finite('tilt y')
    .min(-1000, 'tilt must be within -1000..1000 um/mm')
    .max(1000, 'tilt must be within -1000..1000 um/mm')
    .default(0),
});

const AxisLimitsSchema = z
  .object({ minUm: finite('limit'), maxUm: finite('limit') })
  .refine((l) => l.minUm < l.maxUm, { message: 'a lower limit must be below the upper limit' });

/** Everything that configures the virtual microscope (createVirtualMicroscope). */
export const SimOptionsSchema = z.object({
  setup: z.union([z.enum(['20x', '40x']), OpticalSetupSchema]).default('20x'),
  /** Slide image path; the shipped default slide when absent. */
  slidePath: z.string().min(1).optional(),
  /** Declared slide pixel size (um/px); DEFAULT_SLIDE_PIXEL_SIZE_UM when absent. */
  slidePixelSizeUm: finite('slide pixel size')
    .gt(0.01, 'slide pixel size must be > 0.01 um')
    .max(100, 'slide pixel size must be <= 100 um')
    .optional(),
  sample: SampleOptionsSchema.default({ kind: 'stained' }),
  camera: CameraModelOptionsSchema.default({
    exposureMs: 10,
    electronsPerMsAtWhite: 600,
    fullWellE: 10_500,
    readNoiseE: 2.4,
    vignetting: 0.15,
    whiteBalance: [1, 1, 1],
    shotNoise: true,
  }),
  tilt: TiltSchema.default({ xUmPerMm: 0, yUmPerMm: 0 }),
  /** Optional region of interest (camera pixels) instead of the full sensor, e.g. 1280x960 for a fast live view. */
  roi: z.object({ width: z.number().int().min(16).max(16384), height: z.number().int().min(16).max(16384) }).optional(),
  /** 'fast': transmittance-linear transfer-function model; 'abbe': Abbe summation (slow, accurate for strong phase). */
  model: z.enum(['fast', 'abbe']).default('fast'),
  /** True focus position of the slide on the Z axis (um). */
  zFocusUm: finite('z focus').default(0),
  zStart: finite('z start').optional(),
  zLimits: AxisLimitsSchema.default({ minUm: -500, maxUm: 500 }),
  zSpeedUmPerS: finite('z speed').gt(0, 'z speed must be > 0').default(500),
  zSettleMs: finite('z settle').min(0, 'z settle must be >= 0').default(30),
  /** Residual vibration amplitude (um) right after a Z move, decaying over zSettleMs. */
  zSettleAmplitudeUm: finite('z settle amplitude').min(0).max(50).default(0.2),
  zBacklashUm: finite('z backlash').min(0, 'backlash must be >= 0').max(100, 'backlash must be <= 100 um').default(0),
  xyLimits: z
    .object({ x: AxisLimitsSchema, y: AxisLimitsSchema })
    .default({ x: { minUm: -50_000, maxUm: 50_000 }, y: { minUm: -50_000, maxUm: 50_000 } }),
  xySpeedUmPerS: finite('xy speed').gt(0, 'xy speed must be > 0').default(5000),
  xySettleMs: finite('xy settle').min(0, 'xy settle must be >= 0').default(50),
  /** Multiplies every simulated duration (moves, settles, exposure): 1 = realistic, 0 = instant (tests). */
  timeScale: finite('time scale').min(0, 'time scale must be >= 0').max(100, 'time scale must be <= 100').default(1),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(1),
  /** Worker threads that render frames (0 = on the calling thread; 2 = one per core, off the event loop). */
  renderThreads: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(2),
});
export type SimOptions = z.input<typeof SimOptionsSchema>;
export type ResolvedSimOptions = z.output<typeof SimOptionsSchema>;

/** Parses simulator options; throws one OpticsConfigError naming the first problem. */
export function validateSimOptions(input: unknown): ResolvedSimOptions {
  const r = SimOptionsSchema.safeParse(input ?? {});
  if (!r.success) throw new OpticsConfigError(firstIssue(r.error, 'simulator option'));
  return r.data;
}

/**
 * Default declared slide pixel size (um/px). The shipped slides are whole-slide-scan crops (CMU-1 is 0.499 um/px
 * natively) whose content is sharp at 1:1 pixels. Declaring them at 0.17 um/px puts their finest detail (Nyquist
 * 2.9 cycles/um) above the highest image frequency of both presets ((NA+NA_c)/lambda_blue = 2.74 cycles/um at
 * 20X/0.75, 2.38 at 40X/0.65), so an in-focus frame is as sharp as the objective allows, never softened by the
 * slide. Physically, tissue looks about 3x smaller than on the scanner.
 */
export const DEFAULT_SLIDE_PIXEL_SIZE_UM = 0.17;
