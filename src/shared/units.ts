/**
 * Units and sign convention (DESIGN.md, never deviate):
 * - every length is in micrometres (um) at the sample;
 * - z is the focus axis, +z moves the objective AWAY from the sample;
 * - defocus d = z - z_focus; a label is d, a model predicts d, autofocus moves by -d;
 * - pixel size (um/px at the sample) = camera pixel pitch / total magnification.
 */
import { z } from 'zod';

/** A finite length in micrometres. */
export const Um = z.number().finite();
/** A strictly positive, finite length in micrometres. */
export const PositiveUm = z.number().finite().positive();

export const SIGN_CONVENTION =
  'd = z - z_focus; +z moves the objective away from the sample; autofocus moves by -d' as const;

export function defocusUm(zUm: number, zFocusUm: number): number {
  return zUm - zFocusUm;
}

export function formatUm(v: number, digits = 2): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(digits)} um`;
}
