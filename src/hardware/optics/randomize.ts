/**
 * Domain randomisation for synthetic training data. drawRenderingVariant() draws, from a seeded RNG, every
 * rendering choice (optics within tolerance, stain colour, phase scale, illumination level and colour temperature,
 * exposure and noise, small tilt, mild spherical aberration) and returns them as a plain JSON record. Passing the
 * record back to renderVariant() reproduces the image bit for bit, so a dataset can store the record per image.
 */
import {
  CameraModelOptionsSchema,
  resolveOpticalSetup,
  validateOpticalSetup,
  type CameraModelOptions,
  type OpticalSetup,
  type OpticalSetupInput,
  type SetupPresetId,
} from '../../shared/optics';
import { type ResolvedCameraModel, type DigitisedImage } from './camera-model';
import { renderFrame, type Tilt } from './frame';
import { ImageFormation } from './render';
import { Rng, mixSeed } from './rng';
import type { ResolvedSample } from './sample';
import type { Slide } from './slide';

export interface RandomizationRanges {
  naDelta: number;
  sigma: [number, number];
  /**
   * Glass-equivalent thickness between the section and the objective beyond the 0.17 mm the objective is corrected
   * for (um): mounting medium above the section plus the coverslip's own error. It sets the spherical aberration.
   */
  glassExcessUm: [number, number];
  stainVectorJitter: number;
  stainAmount: [number, number];
  phaseScaleRad: [number, number];
  whiteFraction: [number, number];
  exposureMs: [number, number];
  readNoiseE: [number, number];
  vignetting: [number, number];
  colourTemperatureK: [number, number];
  tiltUmPerMm: number;
}

/**
 * Why the aberration and phase ranges: the sign of defocus is carried by asymmetries between the planes above and
 * below focus. Two are physical and survive in real slides:
 * - Phase: tissue is denser than its mounting medium (and cells than water), so its phase is positive everywhere.
 *   A stained section mounted in a medium of nearly its own index (dn ~ 0.005-0.02 over 4 um) carries 0.1-0.6 rad;
 *   unstained cells in water more (drawn separately below). It dominates near focus (contrast reversal).
 * - Spherical aberration: a dry objective is corrected for 0.17 mm of cover glass, but a mounted section lies under
 *   the coverslip AND a layer of mounting medium (n ~ 1.52, 5-30 um), so the glass-equivalent path is almost always
 *   longer than designed (coverslip tolerance +-10 um on top). Extra glass dt gives W040 = (dt/lambda)(1/n - 1/n^3)
 *   NA^4 / 8 waves, positive in this pupil's convention (about +0.027 waves per um at NA 0.75): the star-test
 *   asymmetry that tells the two sides apart far from focus. A symmetric random SA would teach nothing and drown the
 *   phase cue; the range below is biased like real slides, with a small negative tail for thin coverslips.
 * Measured on HE_L1 at 20x (nuclei contrast at -3/+3 um): phase 0.3 -> 20.8/22.0, phase 1.5 -> 18.5/24.7. A stained
 * range up to 1.5 rad was tried and dropped: it moves the sharpest plane by up to 0.35 um from the aberration-only best
 * focus (phase-absorption cross term, odd in z), so sharpness labels and simulator truth no longer agreed within
 * 0.25 um (test/integration/app-dataset/sim-export.test.ts: 15/20 stacks), and it did not teach LDSE-NET the sign.
 */
export const DEFAULT_RANGES: RandomizationRanges = {
  naDelta: 0.03,
  sigma: [0.45, 0.9],
  glassExcessUm: [-5, 20],
  stainVectorJitter: 0.06,
  stainAmount: [0.75, 1.25],
  phaseScaleRad: [0.1, 0.6],
  whiteFraction: [0.45, 0.9],
  exposureMs: [2, 30],
  readNoiseE: [1.5, 6],
  vignetting: [0, 0.3],
  colourTemperatureK: [2900, 3600],
  tiltUmPerMm: 3,
};

export interface RenderingVariant {
  version: 1;
  seed: number;
  baseSetupId: string;
  setup: OpticalSetup;
  sample: ResolvedSample;
  camera: ResolvedCameraModel;
  illumination: { colourTemperatureK: number; whiteFraction: number };
  tilt: Tilt;
  /** Seed of the camera noise for this variant. */
  noiseSeed: number;
}

/** Ruifrok & Johnston H&E optical-density vectors (R, G, B), and their normalised cross product. */
const HE_STAINS = (() => {
  const h = [0.65, 0.704, 0.286];
  const e = [0.072, 0.99, 0.105];
  const r = [h[1] * e[2] - h[2] * e[1], h[2] * e[0] - h[0] * e[2], h[0] * e[1] - h[1] * e[0]].map(Math.abs);
  return [h, e, normalise(r)];
})();

function normalise(v: number[]): number[] {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

function invert3(m: number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A,
    -(b * i - c * h),
    b * f - c * e,
    B,
    a * i - c * g,
    -(a * f - c * d),
    C,
    -(a * h - b * g),
    a * e - b * d,
  ].map((x) => x / det);
}

function mul3(p: number[], q: number[]): number[] {
  const r = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) r[3 * i + j] += p[3 * i + k] * q[3 * k + j];
  return r;
}

/** Matrix M with OD' = M * OD: deconvolve with the reference stains, rescale amounts, reconvolve with jittered ones. */
export function stainJitterMatrix(rng: Rng, jitter: number, amount: [number, number]): number[] {
  const S = HE_STAINS; // rows = stains
  const St = [S[0][0], S[1][0], S[2][0], S[0][1], S[1][1], S[2][1], S[0][2], S[1][2], S[2][2]]; // columns = stains
  const Sj = S.map((v) => normalise(v.map((x) => Math.max(0.01, x + rng.uniform(-jitter, jitter)))));
  const alpha = [rng.uniform(amount[0], amount[1]), rng.uniform(amount[0], amount[1]), 1];
  const SjtA = [0, 1, 2].flatMap((row) => [0, 1, 2].map((col) => Sj[col][row] * alpha[col]));
  return mul3(SjtA, invert3(St)).map((x) => Math.round(x * 1e9) / 1e9);
}

/** Relative R, G, B illumination of a black body at T against the 3200 K the camera is white-balanced for. */
export function colourTemperatureBalance(
  tK: number,
  wavelengthsUm: { r: number; g: number; b: number },
): [number, number, number] {
  const planck = (lUm: number, t: number) => 1 / (Math.pow(lUm, 5) * (Math.exp(14387.77 / (lUm * t)) - 1));
  const rel = [wavelengthsUm.r, wavelengthsUm.g, wavelengthsUm.b].map((l) => planck(l, tK) / planck(l, 3200));
  return rel.map((x) => x / rel[1]) as [number, number, number];
}

/**
 * The virtual camera under another lamp and exposure: a lamp of `lampK` behind a camera white-balanced for the
 * renderers' 3200 K (a white LED without white balance: 5000-6500 K), and the default exposure times
 * `exposureFactor`. What other labs' cameras give (docs/training.md 3k); used by bench:autofocus and sim.stack.
 */
export function cameraUnderLamp(
  wavelengthsUm: { r: number; g: number; b: number },
  lampK?: number,
  exposureFactor = 1,
): CameraModelOptions {
  const d = CameraModelOptionsSchema.parse({});
  const whiteBalance = lampK === undefined ? d.whiteBalance : colourTemperatureBalance(lampK, wavelengthsUm);
  return { ...d, exposureMs: d.exposureMs * exposureFactor, whiteBalance };
}

/** Primary spherical aberration W040 (waves) of `excessUm` of extra cover glass (n = 1.52) in front of a dry objective. */
export function sphericalAberrationOfGlassWaves(excessUm: number, na: number, wavelengthUm: number, n = 1.52): number {
  return ((excessUm / wavelengthUm) * (1 / n - 1 / n ** 3) * na ** 4) / 8;
}

export function drawRenderingVariant(
  seed: number,
  base: SetupPresetId | OpticalSetupInput,
  opts: { kind?: 'stained' | 'unstained'; ranges?: Partial<RandomizationRanges> } = {},
): RenderingVariant {
  const r = { ...DEFAULT_RANGES, ...opts.ranges };
  const baseSetup = typeof base === 'string' ? resolveOpticalSetup(base) : validateOpticalSetup(base);
  const rng = new Rng(mixSeed(seed, 0x5eed));
  const round = (x: number, d = 6) => Math.round(x * 10 ** d) / 10 ** d;
  const na = round(
    Math.min(baseSetup.immersionIndex * 0.98, Math.max(0.05, baseSetup.na + rng.uniform(-r.naDelta, r.naDelta))),
  );
  const setup = validateOpticalSetup({
    ...baseSetup,
    na,
    condenserSigma: round(rng.uniform(r.sigma[0], r.sigma[1])),
    sphericalAberrationWaves: round(
      sphericalAberrationOfGlassWaves(
        rng.uniform(r.glassExcessUm[0], r.glassExcessUm[1]),
        na,
        baseSetup.wavelengthsUm.g,
      ),
    ),
  });
  const unstained = opts.kind === 'unstained';
  const sample: ResolvedSample = {
    absorptionScale: unstained ? round(rng.uniform(0.05, 0.3)) : 1,
    phaseScaleRad: round(unstained ? rng.uniform(0.5, 1.5) : rng.uniform(r.phaseScaleRad[0], r.phaseScaleRad[1])),
    stainMatrix: unstained ? undefined : stainJitterMatrix(rng, r.stainVectorJitter, r.stainAmount),
  };
  if (!sample.stainMatrix) delete sample.stainMatrix;
  const colourTemperatureK = round(rng.uniform(r.colourTemperatureK[0], r.colourTemperatureK[1]), 1);
  const whiteFraction = round(rng.uniform(r.whiteFraction[0], r.whiteFraction[1]));
  const exposureMs = round(Math.exp(rng.uniform(Math.log(r.exposureMs[0]), Math.log(r.exposureMs[1]))));
  const fullWellE = 10_500;
  const wb = colourTemperatureBalance(colourTemperatureK, setup.wavelengthsUm).map((x) => round(x)) as [
    number,
    number,
    number,
  ];
  const camera: ResolvedCameraModel = {
    exposureMs,
    electronsPerMsAtWhite: round((whiteFraction * fullWellE) / exposureMs),
    fullWellE,
    readNoiseE: round(rng.uniform(r.readNoiseE[0], r.readNoiseE[1])),
    vignetting: round(rng.uniform(r.vignetting[0], r.vignetting[1])),
    whiteBalance: wb,
    shotNoise: true,
  };
  const tilt = {
    xUmPerMm: round(rng.uniform(-r.tiltUmPerMm, r.tiltUmPerMm)),
    yUmPerMm: round(rng.uniform(-r.tiltUmPerMm, r.tiltUmPerMm)),
  };
  return {
    version: 1,
    seed,
    baseSetupId: baseSetup.id,
    setup,
    sample,
    camera,
    illumination: { colourTemperatureK, whiteFraction },
    tilt,
    noiseSeed: rng.nextU32(),
  };
}

/** Renders a variant of a field at defocus d (um); same record + same arguments = same pixels. */
export async function renderVariant(
  slide: Slide,
  variant: RenderingVariant,
  req: { defocusUm: number; xUm: number; yUm: number; width: number; height: number; bitDepth?: 8 | 12 | 16 },
): Promise<DigitisedImage> {
  const setup = validateOpticalSetup(variant.setup);
  const f = await ImageFormation.create(slide, setup, variant.sample, {
    width: req.width,
    height: req.height,
    marginDefocusUm: Math.max(5, Math.abs(req.defocusUm)),
  });
  try {
    return renderFrame(
      f,
      { defocusUm: req.defocusUm, xUm: req.xUm, yUm: req.yUm, tilt: variant.tilt },
      variant.camera,
      req.bitDepth ?? setup.bitDepth,
      mixSeed(
        variant.noiseSeed,
        Math.round(req.defocusUm * 1000),
        Math.round(req.xUm * 100),
        Math.round(req.yUm * 100),
      ),
    );
  } finally {
    f.dispose();
  }
}
