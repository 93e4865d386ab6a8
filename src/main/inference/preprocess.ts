/**
 * Preprocessing of frames for a model, defined by its card, in this one place (DESIGN.md "Autofocus"):
 * resample the frame to the model's pixel size, cut it into full tiles of the model's input size on a centred grid,
 * and pack each tile as float32 NCHW with x[c] = (v[c] / (2^bits - 1) - mean[c]) / std[c] in the card's channel order
 * (greyscale replicated to every channel).
 */
import type { Frame } from '../../hardware/types';
import type { ModelCard } from '../../shared/model-card';
import { centredMargin, mirrorPadRaster, resampleRaster, type Raster } from './resample';
import { modelEncoded } from './encoding';

export type { Raster } from './resample';

export interface PreprocessSpec {
  /** Tile (model input) size in px. */
  width: number;
  height: number;
  /** Channel order of the tensor; each names a source channel of an RGB frame. */
  channels: ReadonlyArray<'R' | 'G' | 'B'>;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** um per pixel the model was trained at. */
  pixelSizeUm: number;
}

export function preprocessSpecOf(card: ModelCard): PreprocessSpec {
  return {
    width: card.input.width,
    height: card.input.height,
    channels: card.input.channels,
    mean: card.input.mean,
    std: card.input.std,
    pixelSizeUm: card.optics.pixel_size_um,
  };
}

/** Relative pixel-size difference under which a frame is used as it is (no resampling). */
export const PIXEL_SIZE_TOLERANCE = 0.005;

export interface PreparedFrame {
  /** The frame at the model's pixel size (the frame's own pixels when no resampling was needed). */
  image: Raster;
  /** Resampled px per frame px, per axis (1 when not resampled). */
  scaleX: number;
  scaleY: number;
  /** Full value of `image`'s samples: the frame's bit depth's (255, 4095, 65535), 255 once a linear frame is
   * sRGB-encoded (encoding.ts). */
  fullScale: number;
  spec: PreprocessSpec;
  /**
   * A frame smaller than one patch (but at least MIN_PAD_FRACTION of it each way) is mirror-padded to a patch: the
   * margins added left and top (px of the image) and the share of the image that is the frame's own pixels.
   */
  padding?: { left: number; top: number; innerWidth: number; innerHeight: number; coverage: number };
}

/** A frame at least this share of a patch each way (at the model's pixel size) is mirror-padded to one patch. */
export const MIN_PAD_FRACTION = 0.5;

export interface PatchPosition {
  /** Index in the packed batch. */
  index: number;
  row: number;
  col: number;
  /** Top-left of the tile in the resampled image (px). */
  x: number;
  y: number;
  /** The tile's rectangle in the original frame (px, may be fractional after resampling). */
  frameX: number;
  frameY: number;
  frameWidth: number;
  frameHeight: number;
}

export interface TileGrid {
  rows: number;
  cols: number;
  /** Top-left of the first tile: the grid is centred, the margins left over are split evenly. */
  x0: number;
  y0: number;
}

export interface PatchBatch {
  /** n x C x H x W float32, NCHW. */
  data: Float32Array;
  n: number;
  positions: PatchPosition[];
  grid: TileGrid;
  scaleX: number;
  scaleY: number;
}

/** Full tiles only, on a grid centred in the image. */
export function tileGrid(width: number, height: number, tileWidth: number, tileHeight = tileWidth): TileGrid {
  const cols = Math.floor(width / tileWidth);
  const rows = Math.floor(height / tileHeight);
  return {
    rows,
    cols,
    x0: Math.floor((width - cols * tileWidth) / 2),
    y0: Math.floor((height - rows * tileHeight) / 2),
  };
}

export function frameRaster(frame: Frame): Raster {
  const expected = frame.width * frame.height * frame.channels;
  if (frame.data.length !== expected) {
    throw new RangeError(
      `frame data holds ${frame.data.length} samples but ${frame.width}x${frame.height}x${frame.channels} needs ${expected}`,
    );
  }
  return { width: frame.width, height: frame.height, channels: frame.channels, data: frame.data };
}

/**
 * The frame in the models' encoding (sRGB, encoding.ts), resampled to the model's pixel size (sharp, bicubic; see
 * resample.ts for why).
 */
export async function prepareFrame(frame: Frame, spec: PreprocessSpec): Promise<PreparedFrame> {
  if (!(frame.pixelSizeUm > 0) || !Number.isFinite(frame.pixelSizeUm)) {
    throw new RangeError(`frame pixel size ${frame.pixelSizeUm} um is not a positive number`);
  }
  const { raster: source, fullScale } = modelEncoded(frameRaster(frame), frame);
  const ratio = frame.pixelSizeUm / spec.pixelSizeUm;
  const resampled =
    Math.abs(ratio - 1) <= PIXEL_SIZE_TOLERANCE
      ? { image: source, scaleX: 1, scaleY: 1, fullScale, spec }
      : await resampledFrame(frame, source, ratio, fullScale, spec);
  return padToOnePatch(resampled);
}

async function resampledFrame(
  frame: Pick<Frame, 'width' | 'height'>,
  source: Raster,
  ratio: number,
  fullScale: number,
  spec: PreprocessSpec,
): Promise<PreparedFrame> {
  const width = Math.max(1, Math.round(frame.width * ratio));
  const height = Math.max(1, Math.round(frame.height * ratio));
  const image = await resampleRaster(source, width, height);
  return { image, scaleX: width / frame.width, scaleY: height / frame.height, fullScale, spec };
}

/**
 * Stacks from other labs come as crops too: 224 px at 0.15 um/px is 195 px at the 20x model's 0.1725, too small for
 * a single tile, and such a frame got no estimate at all. Mirrored margins keep the blur of every pixel as it was (a
 * mirror image of defocused tissue is defocused alike), so the model reads the frame as one patch; the estimate's
 * confidence is scaled by the share of real pixels. Frames under MIN_PAD_FRACTION of a patch either way stay refused.
 */
async function padToOnePatch(prepared: PreparedFrame): Promise<PreparedFrame> {
  const { image, spec } = prepared;
  const { width: tw, height: th } = spec;
  if (image.width >= tw && image.height >= th) return prepared;
  if (image.width < MIN_PAD_FRACTION * tw || image.height < MIN_PAD_FRACTION * th) return prepared;
  const width = Math.max(tw, image.width);
  const height = Math.max(th, image.height);
  const padded = await mirrorPadRaster(image, width, height);
  return {
    ...prepared,
    image: padded,
    padding: {
      left: centredMargin(width, image.width),
      top: centredMargin(height, image.height),
      innerWidth: image.width,
      innerHeight: image.height,
      coverage: (image.width * image.height) / (width * height),
    },
  };
}

export function patchPositions(prepared: PreparedFrame): { grid: TileGrid; positions: PatchPosition[] } {
  const { width: tw, height: th } = prepared.spec;
  const grid = tileGrid(prepared.image.width, prepared.image.height, tw, th);
  const positions: PatchPosition[] = [];
  for (let row = 0; row < grid.rows; row++) {
    for (let col = 0; col < grid.cols; col++) {
      const x = grid.x0 + col * tw;
      const y = grid.y0 + row * th;
      // In frame px; a tile over mirrored margins (padToOnePatch) is reported as the frame it covers.
      const [left, right] = innerSpan(x, tw, prepared.padding?.left ?? 0, prepared.padding?.innerWidth);
      const [top, bottom] = innerSpan(y, th, prepared.padding?.top ?? 0, prepared.padding?.innerHeight);
      positions.push({
        index: positions.length,
        row,
        col,
        x,
        y,
        frameX: left / prepared.scaleX,
        frameY: top / prepared.scaleY,
        frameWidth: (right - left) / prepared.scaleX,
        frameHeight: (bottom - top) / prepared.scaleY,
      });
    }
  }
  return { grid, positions };
}

/** A tile's span [start, end) in the frame's own pixels (prepared scale), without the mirrored margin. */
function innerSpan(start: number, size: number, margin: number, inner: number | undefined): [number, number] {
  if (inner === undefined) return [start, start + size];
  return [Math.max(0, start - margin), Math.min(inner, start + size - margin)];
}

/**
 * Packs the tiles at `positions` (of the prepared image) into one NCHW float32 batch, normalised per the card.
 * Patch k of the batch is positions[k].
 */
export function packPatches(
  prepared: PreparedFrame,
  positions: ReadonlyArray<Pick<PatchPosition, 'x' | 'y'>>,
): Float32Array {
  const { image, fullScale, spec } = prepared;
  const { width: tw, height: th } = spec;
  const plane = tw * th;
  const out = new Float32Array(positions.length * 3 * plane);
  // x = v * gain[c] + offset[c], with gain = 1 / (fullScale * std) and offset = -mean / std
  const gain = spec.std.map((s) => 1 / (fullScale * s));
  const offset = spec.mean.map((m, c) => -m / spec.std[c]);
  // The tensor plane c takes source channel source[c] (always 0 for a greyscale image).
  const source = spec.channels.map((name) => (image.channels === 1 ? 0 : 'RGB'.indexOf(name)));
  for (let n = 0; n < positions.length; n++) {
    const p = positions[n];
    if (
      p.x < 0 ||
      p.y < 0 ||
      p.x + tw > image.width ||
      p.y + th > image.height ||
      !Number.isInteger(p.x) ||
      !Number.isInteger(p.y)
    ) {
      throw new RangeError(`tile at (${p.x}, ${p.y}) does not fit in the ${image.width}x${image.height} image`);
    }
    packTile(
      image.data,
      image.width,
      image.channels,
      p.x,
      p.y,
      tw,
      th,
      out,
      n * 3 * plane,
      plane,
      source,
      gain,
      offset,
    );
  }
  return out;
}

/** One tile, read once row by row (all channels of a pixel together) and written to the three planes. */
function packTile(
  data: Raster['data'],
  width: number,
  channels: number,
  x0: number,
  y0: number,
  tw: number,
  th: number,
  out: Float32Array,
  base: number,
  plane: number,
  source: number[],
  gain: number[],
  offset: number[],
): void {
  const [s0, s1, s2] = source;
  const [g0, g1, g2] = gain;
  const [o0, o1, o2] = offset;
  let d0 = base;
  let d1 = base + plane;
  let d2 = base + 2 * plane;
  for (let y = 0; y < th; y++) {
    let i = ((y0 + y) * width + x0) * channels;
    for (let x = 0; x < tw; x++, i += channels) {
      out[d0++] = data[i + s0] * g0 + o0;
      out[d1++] = data[i + s1] * g1 + o1;
      out[d2++] = data[i + s2] * g2 + o2;
    }
  }
}

/** prepare + all full tiles on the centred grid, packed. */
export async function frameToPatches(frame: Frame, spec: PreprocessSpec): Promise<PatchBatch> {
  const prepared = await prepareFrame(frame, spec);
  const { grid, positions } = patchPositions(prepared);
  return {
    data: packPatches(prepared, positions),
    n: positions.length,
    positions,
    grid,
    scaleX: prepared.scaleX,
    scaleY: prepared.scaleY,
  };
}
