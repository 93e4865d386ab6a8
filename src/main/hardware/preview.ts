/** The live-view preview: a scaled JPEG of a frame plus the sharpness readout the operator focuses by. */
import type { Frame } from '../../hardware/types';
import type { Preview } from '../../shared/schemas/hardware';
import { frameToSharp } from './frame-image';

export async function makePreview(frame: Frame, maxSize: number, quality: number): Promise<Preview> {
  const scaled = frameToSharp(frame).resize(maxSize, maxSize, { fit: 'inside', withoutEnlargement: true });
  const [{ data, info }, stats] = await Promise.all([
    scaled.clone().jpeg({ quality }).toBuffer({ resolveWithObject: true }),
    scaled.clone().greyscale().stats(),
  ]);
  const grey = stats.channels[0];
  return {
    image: `data:image/jpeg;base64,${data.toString('base64')}`,
    width: info.width,
    height: info.height,
    frameWidth: frame.width,
    frameHeight: frame.height,
    zUm: frame.zUm ?? 0,
    pixelSizeUm: frame.pixelSizeUm,
    timestampMs: frame.timestamp,
    // Normalised variance (variance / mean) of the luminance: the classic live focus readout.
    sharpness: grey.mean > 0 ? (grey.stdev * grey.stdev) / grey.mean : 0,
  };
}
