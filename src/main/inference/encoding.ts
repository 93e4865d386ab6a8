/**
 * The models read sRGB-encoded values: what 8-bit cameras and image files hold, and what training renders
 * (training/focusnet/optics/camera.py). Frames of more than 8 bits hold linear light: scientific cameras, 16-bit
 * TIFF stacks, the virtual camera at 12/16 bits (camera-model.ts). Read as they are, their mid-tones come out dark
 * and the shadows' contrast stretched, and ldse-net-20x names the wrong side of focus 39 % of the time instead of
 * 8 % (docs/training.md 3k), so such frames are put through the sRGB curve first.
 */
import type { Frame } from '../../hardware/types';
import type { Raster } from './resample';

export type FrameEncoding = 'srgb' | 'linear';

/** A frame's encoding: as it says, else sRGB for 8-bit frames and linear light for wider ones. */
export function frameEncoding(frame: Pick<Frame, 'bitDepth' | 'encoding'>): FrameEncoding {
  return frame.encoding ?? (frame.bitDepth === 8 ? 'srgb' : 'linear');
}

const ENCODED_FULL_SCALE = 65535;
const lutCache = new Map<number, Uint16Array>();

/** Linear value 0..fullScale -> sRGB-encoded 0..65535. */
function srgbLut(fullScale: number): Uint16Array {
  let lut = lutCache.get(fullScale);
  if (!lut) {
    lut = new Uint16Array(fullScale + 1);
    for (let i = 0; i <= fullScale; i++) {
      const v = i / fullScale;
      const e = v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
      lut[i] = Math.round(e * ENCODED_FULL_SCALE);
    }
    lutCache.set(fullScale, lut);
  }
  return lut;
}

/**
 * The raster in the encoding the models read, with its full scale: sRGB frames as they are, linear ones through the
 * sRGB curve into 16 bits (so that the curve's steep start keeps its levels).
 */
export function modelEncoded(
  raster: Raster,
  frame: Pick<Frame, 'bitDepth' | 'encoding'>,
): { raster: Raster; fullScale: number } {
  const fullScale = 2 ** frame.bitDepth - 1;
  if (frameEncoding(frame) === 'srgb') return { raster, fullScale };
  const lut = srgbLut(fullScale);
  const data = new Uint16Array(raster.data.length);
  for (let i = 0; i < data.length; i++) data[i] = lut[Math.min(fullScale, raster.data[i])];
  return { raster: { ...raster, data }, fullScale: ENCODED_FULL_SCALE };
}
