/**
 * The glass between the sample in a frame, against the glass the models were trained on.
 *
 * Why: the models name the wrong side 28-37 % of the time under a white LED without white balance or at a quarter of
 * the exposure, against 8-24 % as trained (docs/training.md 3k), and a white reference (white-reference.ts) brings
 * that back. An operator who does not know that takes none, and image files come without one. The frames often show
 * the glass between the tissue, and that says whether a reference is needed and which.
 * - The app hints (estimate.hint): take a white reference. A run's frames arrive one at a time, the first mostly far
 *   from focus, and one frame's glass is not balanced against unasked; the operator may make the reference of the
 *   glass last seen (referenceFromSighting), without moving to blank glass.
 * - `predict` balances by default (`--white-reference auto`): the glass its images show near focus, the median over
 *   all of them (referenceFromGlass), after a first pass.
 * Blank tiles may also be pale or far defocused sample, darker and coloured by the stain: the checks in glassInView
 * and the near-focus rule in estimate.ts keep those out.
 */
import { srgbDecode } from '../../hardware/optics/camera-model';
import type { Raster } from '../inference/resample';
import type { ContentVerdict, PatchContent, Tile } from './content';
import type { GlassInView, WhiteReference } from '../../shared/autofocus';
import { median } from './combine';
import { AutofocusError } from './errors';
import { whiteGains, type Rgb } from './white-reference';

/** At least this many blank tiles brighter than the sample before they are taken for glass. */
export const MIN_GLASS_TILES = 2;
/** A hint when a gain departs from 1 by more than this: a fifth of the level, or of one channel against green. */
export const GLASS_HINT_GAIN = 0.2;
/**
 * Glass is looked at in frames read within this of focus (um): further out, stained sample blurs into blank tiles
 * (estimate.ts, glassSeen).
 */
export const GLASS_NEAR_FOCUS_UM = 3;
/**
 * A lamp's colour lies on the black-body locus, with green between red and blue: glass under any lamp is bluer or
 * yellower, never magenta. Green below this share of the lesser of red and blue is stained sample (eosin: linear
 * 0.34 / 0.12 / 0.18), not glass.
 */
export const MIN_GREEN_OF_LESSER = 0.8;
/** Glass at or above this (linear) may clip, below DARK it is no glass: neither says anything of the colour. */
const CLIPPED = 0.97;
const DARK = 0.03;
/** Every STEP-th pixel each way of a glass tile is read: a 224-px tile gives 784 samples. */
const STEP = 8;

/**
 * The glass in a frame's tiles (the content filter's measures and verdicts of them), or null when the frame shows
 * none that can be told from sample. Glass is taken from blank tiles at least as bright as the brightest tenth of
 * the tiles with sample (in brightfield the glass transmits the most light), and only in frames that show sample:
 * a frame that is blank all over may be tissue far out of focus, whose colour is the stain's. Blank tiles coloured
 * as no lamp colours glass (magenta: green below MIN_GREEN_OF_LESSER of red and blue) are stained sample.
 */
export function glassInView(
  image: Raster,
  fullScale: number,
  tiles: ReadonlyArray<Tile>,
  tileWidth: number,
  tileHeight: number,
  content: ReadonlyArray<PatchContent>,
  verdicts: ReadonlyArray<ContentVerdict>,
): GlassInView | null {
  if (image.channels !== 3 && image.channels !== 1) return null;
  const sampleMeans = content.filter((_, i) => verdicts[i] === 'content').map((c) => c.mean);
  if (!sampleMeans.length) return null;
  sampleMeans.sort((a, b) => a - b);
  const brightSample = sampleMeans[Math.floor(0.9 * (sampleMeans.length - 1))];
  const glass = tiles.filter((_, i) => verdicts[i] === 'blank' && content[i].mean >= brightSample);
  if (glass.length < MIN_GLASS_TILES) return null;
  const rgb = [0, 1, 2].map((k) => {
    const ch = image.channels === 1 ? 0 : k;
    // The median by a histogram: the samples are integers up to fullScale, and a sort of them costs 10-20 ms.
    const histogram = new Uint32Array(fullScale + 1);
    let n = 0;
    for (const t of glass) {
      for (let y = t.y; y < t.y + tileHeight; y += STEP) {
        for (let x = t.x; x < t.x + tileWidth; x += STEP, n++) {
          histogram[Math.min(fullScale, image.data[(y * image.width + x) * image.channels + ch])]++;
        }
      }
    }
    let v = 0;
    for (let seen = histogram[0]; seen <= n >> 1 && v < fullScale; seen += histogram[++v]);
    return srgbDecode(v / fullScale);
  }) as Rgb;
  if (Math.max(...rgb) >= CLIPPED || Math.min(...rgb) <= DARK) return null;
  if (image.channels === 3 && rgb[1] < MIN_GREEN_OF_LESSER * Math.min(rgb[0], rgb[2])) return null;
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  // No exposure: the gains of this glass for frames like this one.
  const gains = whiteGains({ glassRgb: rgb, exposureMs: 0, takenAt: '', camera: '' }, 0);
  return { rgb: rgb.map(round) as Rgb, tiles: glass.length, gains: gains.map(round) as Rgb };
}

/**
 * What to tell the operator about the glass in view, or null when a white reference would change little (every
 * gain within GLASS_HINT_GAIN of 1).
 */
export function glassHint(glass: GlassInView): string | null {
  const [r, g, b] = glass.gains;
  if (glass.gains.every((x) => Math.abs(x - 1) <= GLASS_HINT_GAIN)) return null;
  const how: string[] = [];
  // A gain above 1 lifts what the camera gives too little of.
  if (g > 1 + GLASS_HINT_GAIN) how.push('dimmer');
  else if (g < 1 - GLASS_HINT_GAIN) how.push('brighter');
  const blueVsGreen = b / g;
  const redVsGreen = r / g;
  if (blueVsGreen < 1 - GLASS_HINT_GAIN) how.push('bluer');
  else if (blueVsGreen > 1 + GLASS_HINT_GAIN) how.push('yellower');
  if (redVsGreen < 1 - GLASS_HINT_GAIN) how.push('redder');
  else if (redVsGreen > 1 + GLASS_HINT_GAIN && !how.includes('bluer')) how.push('greener');
  const words = how.length ? how.join(' and ') : 'off';
  return `the glass in view is ${words} than the models were trained on (gains ${glass.gains.map((x) => x.toFixed(2)).join(' / ')}); a white reference of blank glass from this camera brings its frames to the trained range`;
}

/**
 * A white reference from the glass several images showed near focus (`predict --white-reference auto`): the median of
 * their glass colours per channel, at an unknown exposure (the images are taken to share one). Null when none did.
 */
export function referenceFromGlass(seen: ReadonlyArray<GlassInView>, now = new Date()): WhiteReference | null {
  if (!seen.length) return null;
  const rgb = [0, 1, 2].map((c) => median(seen.map((g) => g.rgb[c]))) as Rgb;
  return { glassRgb: rgb, exposureMs: 0, takenAt: now.toISOString(), camera: 'glass in view' };
}

/** The glass a camera showed near focus in the latest estimate or run that saw any, at the exposure it was seen at. */
export interface GlassSighting {
  glass: GlassInView[];
  exposureMs: number;
  /** cameraLabel of the camera it was seen with. */
  camera: string;
}

/**
 * The operator's one-click white reference (the app's "Use the glass in view", when a hint says the glass is off the
 * trained range): the median of the glass last seen, at its exposure, for the camera in use. Saves moving to an empty
 * area of the slide; refused, with what to do instead, when no glass was seen or another camera saw it.
 */
export function referenceFromSighting(
  sighting: GlassSighting | null,
  camera: string,
  now = new Date(),
): WhiteReference {
  const instead = 'or take a white reference on blank glass (an empty area of the slide)';
  if (!sighting) {
    throw new AutofocusError(
      'bad-reference',
      `No glass seen near focus yet: estimate or autofocus a field that shows glass between its sample, ${instead}`,
    );
  }
  if (sighting.camera !== camera) {
    throw new AutofocusError(
      'bad-reference',
      `The glass in view was seen with another camera (${sighting.camera}): estimate a field with this one, ${instead}`,
    );
  }
  const reference = referenceFromGlass(sighting.glass, now)!;
  return { ...reference, exposureMs: sighting.exposureMs, camera, source: 'glass in view' };
}
