/**
 * Does a model fit the microscope it is about to drive? A model learns the defocus signature of one objective (NA,
 * immersion) at one sampling (pixel size). Resampling bridges a modest pixel-size difference (a different camera or
 * tube lens); it cannot bridge another objective, whose depth of field (~ lambda n / NA^2) and blur shape differ.
 */
import type { ModelCard } from '../../shared/model-card';

export interface SetupOptics {
  setupId: string;
  /** um per camera pixel at the sample (from the camera). */
  pixelSizeUm: number;
  magnification?: number;
  na?: number;
  immersionIndex?: number;
}

/**
 * Largest frame/model pixel-size ratio (either way) that resampling is trusted to bridge, behind the same objective.
 * Measured with `bench:autofocus -- --net-only --pixel-pitch <um>` (60 starts, the shipped models): a 20x with a
 * 6.5 um sCMOS camera (1.88x the model's pixels), a 40x with 3.45 um (1.57x) and 6.5 um (2.95x) pixels focused
 * like the cameras the models were made for (2.88 / 3.12 / 3.07 images, p95 final error 0.15 / 0.21 / 0.22 um);
 * a 20x at 3.77x (13 um: a binned sCMOS) slipped (3.33 images, p95 0.41 um). Common lab cameras sit within 3x.
 */
export const MAX_PIXEL_RATIO = 3;
/** Largest NA difference: 0.1 at NA 0.75 changes the depth of field by ~30 %. */
export const MAX_NA_DIFFERENCE = 0.1;
/** Largest magnification ratio (either way). */
export const MAX_MAGNIFICATION_RATIO = 1.25;
export const MAX_IMMERSION_DIFFERENCE = 0.05;

export interface SetupMatch {
  ok: boolean;
  /** One sentence per mismatch. */
  problems: string[];
  /** Differences worth mentioning that do not block (a setup id that differs with matching optics). */
  notes: string[];
  pixelRatio: number;
}

export function checkModelForSetup(card: ModelCard, setup: SetupOptics): SetupMatch {
  const o = card.optics;
  const problems: string[] = [];
  const notes: string[] = [];
  const pixelRatio = setup.pixelSizeUm / o.pixel_size_um;
  if (!(pixelRatio > 0) || !Number.isFinite(pixelRatio)) {
    problems.push(`the camera's pixel size (${setup.pixelSizeUm} um) is not a positive number`);
  } else if (!bridgesPixelRatio(pixelRatio)) {
    problems.push(
      `pixel size ${formatOptic(setup.pixelSizeUm)} um vs the model's ${formatOptic(o.pixel_size_um)} um (x${pixelRatio.toFixed(2)}, more than resampling should bridge: x${MAX_PIXEL_RATIO})`,
    );
  }
  if (setup.na !== undefined && Math.abs(setup.na - o.na) > MAX_NA_DIFFERENCE + 1e-9) {
    problems.push(`NA ${setup.na} vs the model's ${o.na}`);
  }
  if (setup.magnification !== undefined) {
    const r = setup.magnification / o.magnification;
    if (r > MAX_MAGNIFICATION_RATIO || r < 1 / MAX_MAGNIFICATION_RATIO) {
      problems.push(`magnification ${setup.magnification}x vs the model's ${o.magnification}x`);
    }
  }
  if (
    setup.immersionIndex !== undefined &&
    Math.abs(setup.immersionIndex - o.immersion_index) > MAX_IMMERSION_DIFFERENCE
  ) {
    problems.push(`immersion index ${setup.immersionIndex} vs the model's ${o.immersion_index}`);
  }
  if (problems.length === 0 && setup.setupId !== o.setup_id) {
    notes.push(`model ${card.id} was made for setup ${o.setup_id}; this is ${setup.setupId}, with matching optics`);
  }
  return { ok: problems.length === 0, problems, notes, pixelRatio };
}

export function mismatchMessage(card: ModelCard, setup: SetupOptics, match: SetupMatch): string {
  return `model does not match this setup: ${card.id} (${card.optics.setup_id}, ${card.optics.magnification}x/${card.optics.na}) on ${setup.setupId}: ${match.problems.join('; ')}. Pick the model for this setup, or allow the mismatch explicitly`;
}

/**
 * Largest pixel-size ratio (either way) `predict` resamples image files across. Measured on rendered held-out stacks
 * box-downsampled to emulate coarser cameras behind the same objective (docs/training.md, "Other cameras' pixel
 * sizes"): resampled to the model's pixel size, 3.8x coarser frames (20x) and 4x (40x) kept their wrong-side rate
 * within 2 points of the camera the model was made for, while the same frames read unresampled doubled it. What
 * resampling cannot bridge is another objective, which a file's pixel size does not tell: the autofocus, which knows
 * its setup's NA and magnification and checks them, keeps MAX_PIXEL_RATIO.
 */
export const PREDICT_MAX_PIXEL_RATIO = 4;

/** Frames at `ratio` times the model's pixel size are within what resampling bridges (`max` either way). */
export function bridgesPixelRatio(ratio: number, max: number = MAX_PIXEL_RATIO): boolean {
  return ratio <= max && ratio >= 1 / max;
}

/** An optical figure as people write it (0.1725, not the float's 0.17250000000000001). */
export function formatOptic(v: number): string {
  return Number(v.toPrecision(4)).toString();
}

export type ModelCamera = ModelCard['input']['camera'];

/** The camera a model is made for; cards written before the field existed (or partial ones) are colour models. */
export function cameraOf(card: ModelCard): ModelCamera {
  return card.input?.camera ?? 'colour';
}

/**
 * Which of several models to prefer for frames of this camera (lower first): one made for the camera before any
 * other (a colour model reads the side partly from stain colour: docs/training.md 3e), then `preferredId`, then
 * other LDSE-NETs, then the baselines.
 */
export function preferenceRank(id: string, card: ModelCard, preferredId: string, camera: ModelCamera): number {
  return (cameraOf(card) === camera ? 0 : 3) + (id === preferredId ? 0 : card.architecture === 'ldse-net' ? 1 : 2);
}
