/** Depth of field of a brightfield setup (the evaluation's "within DOF" criterion). */
import type { ModelCardOptics } from '../../shared/model-card';
import { depthOfFieldAtUm } from '../../shared/optics';

/** Wavelength used for the depth of field (um): mid-visible, green. */
export const DOF_WAVELENGTH_UM = 0.55;

/**
 * Depth of field of the card's optics (shared/optics.ts depthOfFieldAtUm). 20x/0.75 in air at 0.1725 um/px:
 * 0.978 + 0.230 = 1.208 um.
 */
export function depthOfFieldUm(
  optics: Pick<ModelCardOptics, 'na' | 'immersion_index' | 'pixel_size_um'>,
  wavelengthUm = DOF_WAVELENGTH_UM,
): number {
  return depthOfFieldAtUm(optics.na, optics.immersion_index, optics.pixel_size_um, wavelengthUm);
}
