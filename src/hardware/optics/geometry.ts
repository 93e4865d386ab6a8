/**
 * Simulation grid. The image of a brightfield microscope holds no spatial frequency above the partially coherent
 * cut-off (NA + NA_c)/lambda in the weak-object terms, so the optics are rendered on a grid sampled at (or just
 * finer than) Nyquist for that cut-off, then resampled to camera pixels:
 *   - camera finer than needed (40X/0.65 + 2.2 um pixels = 0.055 um/px, ~4x finer): render at k camera pixels
 *     per grid pixel (k = 3 there) and upsample with a separable cubic (Keys, a = -0.5);
 *   - camera coarser than Nyquist (low magnification): render at 1/m camera pixel and bin m x m (pixel area);
 *   - otherwise render at camera pixels (20X/0.75 + 3.45 um = 0.1725 um/px).
 * Around the field a margin absorbs the defocus blur (radius ~ d*tan(theta) + 1.5 um) so it does not wrap round
 * the periodic FFT; frames are exact for |d| <= marginDefocusUm, the halo of larger defocus partly wraps.
 */
import type { OpticalSetup } from '../../shared/optics';
import { samplePixelSizeUm } from '../../shared/optics';
import { nextFftSize } from './fft';

export interface Geometry {
  cameraPixelUm: number;
  outWidth: number;
  outHeight: number;
  mode: 'same' | 'up' | 'bin';
  /** Camera pixels per grid pixel ('up') or grid pixels per camera pixel ('bin'); 1 for 'same'. */
  factor: number;
  gridPitchUm: number;
  /** Grid pixels holding the camera field (plus interpolation border). */
  contentWidth: number;
  contentHeight: number;
  /** FFT grid and where the content sits in it. */
  fftWidth: number;
  fftHeight: number;
  offX: number;
  offY: number;
  /** Content coordinates (grid pixel centres) of the field centre. */
  centreX: number;
  centreY: number;
  marginDefocusUm: number;
  /** Wavelengths of the rendered channels (R,G,B or G for mono) and their channel indices. */
  wavelengths: number[];
  channels: number[];
}

/** Grid pixels before the first camera pixel in 'up' mode (room for the cubic kernel). */
const UP_BORDER = 2;

export function planGeometry(setup: OpticalSetup, outWidth: number, outHeight: number, marginDefocusUm = 10): Geometry {
  const cameraPixelUm = samplePixelSizeUm(setup);
  const wl = setup.wavelengthsUm;
  const wavelengths = setup.colour ? [wl.r, wl.g, wl.b] : [wl.g];
  const channels = setup.colour ? [0, 1, 2] : [1];
  const fcMax = Math.max(...wavelengths.map((l) => (setup.na * (1 + setup.condenserSigma)) / l));
  const nyquistPitch = 1 / (2 * fcMax);
  let mode: Geometry['mode'];
  let factor: number;
  let gridPitchUm: number;
  if (cameraPixelUm <= nyquistPitch) {
    factor = Math.max(1, Math.floor(nyquistPitch / cameraPixelUm + 1e-9));
    mode = factor > 1 ? 'up' : 'same';
    gridPitchUm = cameraPixelUm * factor;
  } else {
    factor = Math.ceil(cameraPixelUm / nyquistPitch - 1e-9);
    mode = 'bin';
    gridPitchUm = cameraPixelUm / factor;
  }
  let contentWidth: number;
  let contentHeight: number;
  let centreX: number;
  let centreY: number;
  if (mode === 'up') {
    contentWidth = UP_BORDER + Math.ceil(outWidth / factor) + 3;
    contentHeight = UP_BORDER + Math.ceil(outHeight / factor) + 3;
    centreX = UP_BORDER + outWidth / (2 * factor) - 0.5;
    centreY = UP_BORDER + outHeight / (2 * factor) - 0.5;
  } else if (mode === 'bin') {
    contentWidth = outWidth * factor;
    contentHeight = outHeight * factor;
    centreX = contentWidth / 2 - 0.5;
    centreY = contentHeight / 2 - 0.5;
  } else {
    contentWidth = outWidth;
    contentHeight = outHeight;
    centreX = outWidth / 2 - 0.5;
    centreY = outHeight / 2 - 0.5;
  }
  const n = setup.immersionIndex;
  const tanTheta = setup.na / Math.sqrt(Math.max(1e-6, n * n - setup.na * setup.na));
  const marginPx = Math.ceil((marginDefocusUm * tanTheta + 1.5) / gridPitchUm);
  const fftWidth = nextFftSize(contentWidth + 2 * marginPx);
  const fftHeight = nextFftSize(contentHeight + 2 * marginPx);
  return {
    cameraPixelUm,
    outWidth,
    outHeight,
    mode,
    factor,
    gridPitchUm,
    contentWidth,
    contentHeight,
    fftWidth,
    fftHeight,
    offX: Math.floor((fftWidth - contentWidth) / 2),
    offY: Math.floor((fftHeight - contentHeight) / 2),
    centreX,
    centreY,
    marginDefocusUm,
    wavelengths,
    channels,
  };
}

/** Content (grid) coordinate of the centre of camera pixel i in 'up' mode. */
export function upCoordinate(i: number, factor: number): number {
  return UP_BORDER + (i + 0.5) / factor - 0.5;
}
