/**
 * The side of focus for a magnitude model. A model trained on |d| (the card's `output.target: "magnitude"`) reads how
 * far the focus is but not on which side. The loop assumes a side, moves towards focus on that assumption, and reads
 * again: if the residual grew, the focus is on the other side (the move went away from it), so the side flips. That
 * costs one extra image when the first guess is wrong, against the dozen of a classic search.
 */
import { formatSignedUm } from '../../shared/autofocus';
import type { ModelCard } from '../../shared/model-card';

/** Below this fraction of a move showing up in the estimates, the model is not following the stage. */
export const MIN_TRACKING = 0.3;

/** A run whose side flips more often than this is not converging: the fallback search decides. */
export const MAX_SIDE_FLIPS = 2;

export interface SideBelief {
  /** +1: the objective is believed above focus (d > 0, the move is downwards); -1: below. */
  side: 1 | -1;
  flips: number;
  /** The last reading flipped the side: it was taken on the far side, where the model may saturate. */
  justFlipped?: boolean;
}

/** The first guess: above focus. Either guess costs one image when wrong. */
export const FIRST_GUESS: SideBelief = { side: 1, flips: 0 };

export interface SideStep {
  belief: SideBelief;
  /** The signed defocus the loop acts on. */
  defocusUm: number;
  /** Why the loop should stop trusting the model, or null. */
  disagreement: string | null;
}

/**
 * One reading of a magnitude model. `previous` is the magnitude read before the last move and the move made
 * (z after - z before); null on the first reading.
 */
export function readSide(
  belief: SideBelief,
  magnitudeUm: number,
  previous: { magnitudeUm: number; movedUm: number } | null,
  toleranceUm: number,
): SideStep {
  const m = Math.abs(magnitudeUm);
  if (!previous) return { belief, defocusUm: belief.side * m, disagreement: null };
  const moved = Math.abs(previous.movedUm);
  // A residual that grew means the wrong side, even when it grew less than the move: the model saturates far from
  // focus (the shipped ones near 9 um), so going 7 um the wrong way from -7 um may read only 9.
  if (m > previous.magnitudeUm + toleranceUm) return flip(belief, m);
  // After a flip the previous reading came from the far side, often beyond the model's range (it reads about 9 um at
  // 15 um): the move back cannot be expected to show in full.
  if (belief.justFlipped)
    return { belief: { ...belief, justFlipped: false }, defocusUm: belief.side * m, disagreement: null };
  if (moved > 2 * toleranceUm && previous.magnitudeUm - m < MIN_TRACKING * moved) {
    return {
      belief,
      defocusUm: belief.side * m,
      disagreement: `the verify step disagrees: the stage moved ${formatSignedUm(previous.movedUm)} but the defocus magnitude changed from ${previous.magnitudeUm.toFixed(2)} to ${m.toFixed(2)} um (the model does not follow the focus here)`,
    };
  }
  return { belief, defocusUm: belief.side * m, disagreement: null };
}

/** The residual grew: the move went away from focus, which lies on the other side. */
function flip(belief: SideBelief, m: number): SideStep {
  const next: SideBelief = { side: belief.side === 1 ? -1 : 1, flips: belief.flips + 1, justFlipped: true };
  if (next.flips > MAX_SIDE_FLIPS) {
    return {
      belief: next,
      defocusUm: next.side * m,
      disagreement: `the side of focus did not settle after ${MAX_SIDE_FLIPS} reversals (defocus magnitude ${m.toFixed(2)} um)`,
    };
  }
  return { belief: next, defocusUm: next.side * m, disagreement: null };
}

/** A magnitude model whose card reports a test error above the tolerance finishes with a local search. */
export function needsRefine(card: ModelCard | undefined, toleranceUm: number): boolean {
  if (card?.output.target !== 'magnitude') return false;
  return (card.metrics.test_mae_um ?? Infinity) > toleranceUm;
}
