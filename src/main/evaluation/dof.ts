/** Depth of field of a brightfield setup (the evaluation's "within DOF" criterion). */
import type { ModelCardOptics } from '../../shared/model-card';

/** Wavelength used for the depth of field (um): mid-visible, green. */
export const DOF_WAVELENGTH_UM = 0.55;

/**
 * DOF = lambda * n / NA^2 + n * e / (M * NA), with e the camera pixel pitch (= pixel size at the sample * M), so the
 * second term is n * pixel_size / NA. 20x/0.75 in air at 0.1725 um/px: 0.978 + 0.230 = 1.208 um.
 */
export function depthOfFieldUm(
  optics: Pick<ModelCardOptics, 'na' | 'immersion_index' | 'magnification' | 'pixel_size_um'>,
  wavelengthUm = DOF_WAVELENGTH_UM,
): number {
  const { na, immersion_index: n, magnification: m, pixel_size_um: p } = optics;
  const pixelPitchUm = p * m;
  return (wavelengthUm * n) / (na * na) + (n * pixelPitchUm) / (m * na);
}
