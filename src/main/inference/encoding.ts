/**
 * The models read sRGB-encoded values: what 8-bit cameras and image files hold, and what training renders
 * (training/focusnet/optics/camera.py). Frames of more than 8 bits hold linear light: scientific cameras, 16-bit
 * TIFF stacks, the virtual camera at 12/16 bits (camera-model.ts). Read as they are, their mid-tones come out dark
 * and the shadows' contrast stretched, and ldse-net-20x names the wrong side of focus 39 % of the time instead of
 * 8 % (docs/training.md 3k), so such frames are put through the sRGB curve first.
 */
import { srgbEncode } from '../../hardware/optics/camera-model';
import type { Frame } from '../../hardware/types';
import type { Raster } from './resample';

export type FrameEncoding = 'srgb' | 'linear';

/** A frame's encoding: as it says, else sRGB for 8-bit frames and linear light for wider ones. */
export function frameEncoding(frame: Pick<Frame, 'bitDepth' | 'encoding'>): FrameEncoding {
  return frame.encoding ?? (frame.bitDepth === 8 ? 'srgb' : 'linear');
}

// Into 8 bits, as training renders them (optics/camera.py): the models never saw finer levels, and 8-bit samples
// keep the rest of the estimate as fast as for an 8-bit camera (kept at 16 bits, a 16-bit 5 MP frame took 120-170 ms instead of 40-50).
const ENCODED_FULL_SCALE = 255;
const lutCache = new Map<number, Uint8Array>();

/** Linear value 0..fullScale -> sRGB-encoded 0..255; every 16-bit value has an entry (above full scale: white). */
function srgbLut(fullScale: number): Uint8Array {
  let lut = lutCache.get(fullScale);
  if (!lut) {
    lut = new Uint8Array(65536).fill(ENCODED_FULL_SCALE);
    for (let i = 0; i <= fullScale; i++) {
      lut[i] = Math.round(srgbEncode(i / fullScale) * ENCODED_FULL_SCALE);
    }
    lutCache.set(fullScale, lut);
  }
  return lut;
}

/** The raster in the encoding the models read, with its full scale: sRGB frames as they are, linear ones through the
 * sRGB curve into 8 bits. */
export function modelEncoded(
  raster: Raster,
  frame: Pick<Frame, 'bitDepth' | 'encoding'>,
): { raster: Raster; fullScale: number } {
  const fullScale = 2 ** frame.bitDepth - 1;
  if (frameEncoding(frame) === 'srgb') return { raster, fullScale };
  return { raster: { ...raster, data: throughLut(raster.data, srgbLut(fullScale)) }, fullScale: ENCODED_FULL_SCALE };
}

/**
 * One loop per sample type, so that each stays monomorphic; four samples a turn (a 5 MP RGB frame is 15 M samples:
 * 18 ms here against 28 for one a turn).
 */
function throughLut(data: Uint8Array | Uint16Array, lut: Uint8Array): Uint8Array {
  return data instanceof Uint16Array ? lookUp16(data, lut) : lookUp8(data, lut);
}

function lookUp16(data: Uint16Array, lut: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  const end = data.length - 3;
  let i = 0;
  for (; i < end; i += 4) {
    out[i] = lut[data[i]];
    out[i + 1] = lut[data[i + 1]];
    out[i + 2] = lut[data[i + 2]];
    out[i + 3] = lut[data[i + 3]];
  }
  for (; i < data.length; i++) out[i] = lut[data[i]];
  return out;
}

function lookUp8(data: Uint8Array, lut: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = lut[data[i]];
  return out;
}
