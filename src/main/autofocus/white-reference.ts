/**
 * White reference: the camera's view of blank glass, taken once by the operator, so that frames reach the models
 * with the glass colour and level they were trained on.
 *
 * Why: the models read the side of focus partly from colour and tone, and training draws the glass within narrow
 * ranges (randomize.ts DEFAULT_RANGES: 45-90 % of full well, a 2900-3600 K lamp against a white balance for 3200 K).
 * A white LED without white balance, or a quarter of the exposure, costs ldse-net-20x as much as losing colour
 * (docs/training.md 3k). Most tissue fields hold no glass to balance against, so the reference is taken where the
 * slide is empty, as brightfield users do for white balance and flat fields. Its gains move the glass to the
 * nearest colour and level the models saw, and leave frames already within that range untouched.
 */
import { colourTemperatureBalance, DEFAULT_RANGES } from '../../hardware/optics/randomize';
import { srgbDecode, srgbEncode } from '../../hardware/optics/camera-model';
import type { Camera, CameraInfo, Frame } from '../../hardware/types';
import type { Raster } from '../inference/resample';
import { frameEncoding } from '../inference/encoding';
import { measureContent, contentVerdict } from './content';
import { AutofocusError } from './errors';
import type { WhiteReference } from '../../shared/autofocus';
import { RGB_WAVELENGTHS_UM } from '../../shared/optics';

export type Rgb = [number, number, number];

/** Glass brighter than this (linear, of full scale) may have clipped: its colour and level are not known. */
const CLIPPED_GLASS = 0.97;
/** Glass darker than this is too dark to balance against (a closed shutter, the lamp off). */
const DARK_GLASS = 0.03;
/** The share of the reference frame's tiles that must be blank glass. */
const MIN_BLANK_SHARE = 0.8;
/** Gains this close to 1 leave the frame as it is. */
const UNITY = 0.01;

const TOO_DARK = 'the glass is too dark for a white reference: is the lamp on and the light path open?';
const CLIPPED = 'the glass is saturated in the white reference: lower the exposure or the lamp and take it again';

/**
 * The glass's linear colour relative to green as the models were trained on it (R/G and B/G ranges), at the
 * training renderers' wavelengths (both setups', and training/focusnet/optics/generator.py's).
 */
export function trainedGlassRatios(): { r: [number, number]; b: [number, number] } {
  const [t0, t1] = DEFAULT_RANGES.colourTemperatureK;
  const a = colourTemperatureBalance(t0, RGB_WAVELENGTHS_UM);
  const c = colourTemperatureBalance(t1, RGB_WAVELENGTHS_UM);
  return { r: [Math.min(a[0], c[0]), Math.max(a[0], c[0])], b: [Math.min(a[2], c[2]), Math.max(a[2], c[2])] };
}

const clamp = (v: number, [lo, hi]: [number, number]) => Math.min(hi, Math.max(lo, v));
// computed once, not per frame
const TRAINED_RATIOS = trainedGlassRatios();

/**
 * Per-channel gains (on linear light) that bring the reference's glass, at the camera's present exposure, to the
 * nearest colour and level of the training range: 1, 1, 1 when it is already within it.
 */
export function whiteGains(ref: WhiteReference, exposureMs: number): Rgb {
  // image files know no exposure (0): a glass image is taken to be at the images' exposure
  const scale = exposureMs > 0 && ref.exposureMs > 0 ? exposureMs / ref.exposureMs : 1;
  const glass = ref.glassRgb.map((v) => v * scale) as Rgb;
  // Glass that clips now tells nothing about the frame's colour: leave the frame as it comes.
  if (Math.max(...glass) >= CLIPPED_GLASS) return [1, 1, 1];
  const ratios = TRAINED_RATIOS;
  const level = clamp(glass[1], DEFAULT_RANGES.whiteFraction);
  const target: Rgb = [
    clamp(glass[0] / glass[1], ratios.r) * level,
    level,
    clamp(glass[2] / glass[1], ratios.b) * level,
  ];
  return target.map((t, c) => t / glass[c]) as Rgb;
}

export function isUnity(gains: Rgb): boolean {
  return gains.every((g) => Math.abs(g - 1) < UNITY);
}

/** One lookup table per channel (greyscale: the green gain, the level): sRGB value -> linear x gain -> sRGB. */
function channelLuts(fullScale: number, gains: Rgb, like: Raster): Raster['data'][] {
  const channels = like.channels;
  if (channels !== 3 && channels !== 1) throw new RangeError(`cannot balance a ${channels}-channel raster`);
  return (channels === 1 ? [gains[1]] : gains).map((g) => {
    const lut = like.data instanceof Uint8Array ? new Uint8Array(fullScale + 1) : new Uint16Array(fullScale + 1);
    for (let v = 0; v <= fullScale; v++) {
      lut[v] = Math.round(srgbEncode(Math.min(1, srgbDecode(v / fullScale) * g)) * fullScale);
    }
    return lut;
  });
}

/** `count` pixels from src[from] through the tables into out[to] (16 tiles of 224 px: about 10 ms here). */
function balanceRun(
  src: Raster['data'],
  from: number,
  out: Raster['data'],
  to: number,
  count: number,
  luts: Raster['data'][],
): void {
  if (luts.length === 3) {
    const [lr, lg, lb] = luts;
    for (let k = 0; k < count; k++, from += 3, to += 3) {
      out[to] = lr[src[from]];
      out[to + 1] = lg[src[from + 1]];
      out[to + 2] = lb[src[from + 2]];
    }
  } else {
    const [lut] = luts;
    for (let k = 0; k < count; k++) out[to + k] = lut[src[from + k]];
  }
}

/**
 * Only the tiles the model reads, stacked into a strip one tile wide, with their positions in it, and each
 * channel's linear light times its gain (clipped at full scale) in the sRGB encoding the models read
 * (encoding.ts): a 5 MP frame is 15 M samples, 16 tiles 2.4 M, and no copy of the frame is made.
 */
export function balancedTiles<T extends { x: number; y: number }>(
  raster: Raster,
  fullScale: number,
  gains: Rgb,
  tiles: ReadonlyArray<T>,
  tileWidth: number,
  tileHeight: number,
): { image: Raster; tiles: T[] } {
  const c = raster.channels;
  const luts = channelLuts(fullScale, gains, raster);
  const size = tiles.length * tileWidth * tileHeight * c;
  const out = raster.data instanceof Uint16Array ? new Uint16Array(size) : new Uint8Array(size);
  tiles.forEach((t, k) => {
    for (let row = 0; row < tileHeight; row++) {
      const from = ((t.y + row) * raster.width + t.x) * c;
      const to = (k * tileHeight + row) * tileWidth * c;
      balanceRun(raster.data, from, out, to, tileWidth, luts);
    }
  });
  return {
    image: { width: tileWidth, height: tiles.length * tileHeight, channels: c, data: out },
    tiles: tiles.map((t, k) => ({ ...t, x: 0, y: k * tileHeight })),
  };
}

/** Where the exposure puts the glass's brightest channel: a full signal with headroom below clipping. */
const GLASS_TARGET = 0.8;
/** Exposure steps down from clipped glass before giving up, each a third of the last. */
const CLIPPED_STEPS = 5;

/**
 * The exposure (ms) that puts the glass's brightest channel at GLASS_TARGET of full scale, when the glass's level
 * lies outside the trained range or its brightest channel would clip; null when it is fine as it is (or the
 * exposure is unknown). Fewer photons cost more than a gain can give back: at a quarter of the exposure the
 * balanced frames' noise alone took 20x autofocus from 2.78 to 3.78 images (src/main/autofocus/README.md).
 */
export function exposureForGlass(ref: WhiteReference): number | null {
  const top = Math.max(...ref.glassRgb);
  const [lo, hi] = DEFAULT_RANGES.whiteFraction;
  if (!(ref.exposureMs > 0) || (ref.glassRgb[1] >= lo && top <= hi)) return null;
  return (ref.exposureMs * GLASS_TARGET) / top;
}

export interface TakenReference {
  reference: WhiteReference;
  /** The camera's exposure before and after, when it was changed to expose the glass well. */
  exposure: { fromMs: number; toMs: number } | null;
}

/**
 * The operator's "white reference" on a camera looking at blank glass: snap and measure; with `setExposure`, first
 * find an exposure that does not clip the glass (a third at a time) and then one that puts it at GLASS_TARGET, as
 * a camera's auto-exposure on glass would. A camera that does not follow its exposure setting (a folder of files
 * the vendor software writes) gets its exposure back and the reference as first measured.
 */
export async function takeWhiteReference(camera: Camera, setExposure = true): Promise<TakenReference> {
  const label = cameraLabel(camera.info());
  const fromMs = camera.getExposureMs();
  const measure = async () => measureWhiteReference(await camera.snap(), label);
  if (!setExposure) return { reference: await measure(), exposure: null };
  let first: WhiteReference | null = null;
  for (let step = 0; !first; step++) {
    try {
      first = await measure();
    } catch (err) {
      const clipped = err instanceof AutofocusError && err.details?.clipped === true;
      if (!clipped || step >= CLIPPED_STEPS) {
        if (camera.getExposureMs() !== fromMs) await camera.setExposureMs(fromMs).catch(() => undefined);
        throw err;
      }
      await camera.setExposureMs(camera.getExposureMs() / 3);
    }
  }
  let reference = first;
  const better = exposureForGlass(first);
  if (better !== null) {
    const firstMs = camera.getExposureMs();
    await camera.setExposureMs(better);
    const again = await measure().catch(() => null);
    // a camera that followed the change shows the glass about where it was aimed
    if (again && Math.abs(Math.max(...again.glassRgb) / GLASS_TARGET - 1) < 0.3) reference = again;
    else await camera.setExposureMs(firstMs);
  }
  const toMs = camera.getExposureMs();
  return { reference, exposure: toMs === fromMs ? null : { fromMs, toMs } };
}

/** How a white reference names its camera. */
export function cameraLabel(info: Pick<CameraInfo, 'kind' | 'name'>): string {
  return `${info.kind}: ${info.name}`;
}

/**
 * The white reference of a frame of blank glass, at the frame's exposure: the linear colour of its central ninth
 * (median per channel; the corners lose light to vignetting, and training's glass level is the centre's). Refuses
 * frames that show sample, clip or are dark, with what to do.
 */
export function measureWhiteReference(frame: Frame, camera: string, now = new Date()): WhiteReference {
  if (frame.channels !== 3 && frame.channels !== 1) {
    throw new AutofocusError(
      'bad-reference',
      `a white reference needs an RGB or greyscale frame (got ${frame.channels} channels)`,
    );
  }
  const full = 2 ** frame.bitDepth - 1;
  const linear = frameEncoding(frame) === 'linear';
  const toLinear = (v: number) => (linear ? v / full : srgbDecode(v / full));
  const blank = blankShare(frame, full);
  if (blank.mostly === 'dark') throw new AutofocusError('bad-reference', TOO_DARK);
  if (blank.mostly === 'saturated') throw new AutofocusError('bad-reference', CLIPPED, { clipped: true });
  if (blank.share < MIN_BLANK_SHARE) {
    throw new AutofocusError(
      'bad-reference',
      `the field is not blank glass (${Math.round(blank.share * 100)} % glass; ${blank.other}): move to an empty area of the slide and take the white reference again`,
    );
  }
  const x0 = Math.floor(frame.width / 3);
  const y0 = Math.floor(frame.height / 3);
  const x1 = Math.max(x0 + 1, Math.floor((2 * frame.width) / 3));
  const y1 = Math.max(y0 + 1, Math.floor((2 * frame.height) / 3));
  const rgb = [0, 1, 2].map((k) => {
    const ch = frame.channels === 1 ? 0 : k;
    const values: number[] = [];
    for (let y = y0; y < y1; y += 2) {
      for (let x = x0; x < x1; x += 2) values.push(frame.data[(y * frame.width + x) * frame.channels + ch]);
    }
    values.sort((a, b) => a - b);
    return toLinear(values[values.length >> 1]);
  }) as Rgb;
  if (Math.max(...rgb) >= CLIPPED_GLASS) throw new AutofocusError('bad-reference', CLIPPED, { clipped: true });
  if (Math.min(...rgb) <= DARK_GLASS) throw new AutofocusError('bad-reference', TOO_DARK);
  return {
    glassRgb: rgb.map((v) => Math.round(v * 1e5) / 1e5) as Rgb,
    exposureMs: frame.exposureMs,
    takenAt: now.toISOString(),
    camera,
  };
}

/** The share of the frame's 224-px tiles the content filter calls blank, what the others were, the commonest verdict. */
function blankShare(frame: Frame, full: number): { share: number; other: string; mostly: string } {
  const tile = Math.min(224, frame.width, frame.height);
  const positions: { x: number; y: number }[] = [];
  for (let y = 0; y + tile <= frame.height; y += tile) {
    for (let x = 0; x + tile <= frame.width; x += tile) positions.push({ x, y });
  }
  const raster: Raster = { width: frame.width, height: frame.height, channels: frame.channels, data: frame.data };
  const verdicts = measureContent(raster, full, positions, tile, tile).map((c) => contentVerdict(c));
  const counts = new Map<string, number>();
  for (const v of verdicts) counts.set(v, (counts.get(v) ?? 0) + 1);
  const others = [...counts]
    .filter(([v]) => v !== 'blank')
    .map(([v, n]) => `${n} ${n === 1 ? 'tile' : 'tiles'} ${v === 'content' ? 'with sample' : v}`);
  const mostly = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'blank';
  return {
    share: (counts.get('blank') ?? 0) / Math.max(1, verdicts.length),
    other: others.join(', ') || 'none',
    mostly,
  };
}
