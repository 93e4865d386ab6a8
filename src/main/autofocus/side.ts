/**
 * The side of focus when the model cannot be trusted to name it.
 * - A magnitude model (the card's `output.target: "magnitude"`) reads how far the focus is but not on which side: the
 *   loop assumes a side (above focus).
 * - A signed model whose card reports sign errors above SIGN_TRUSTED_RATE (e.g. 10 %: the side-magnitude LDSE-NET)
 *   names a side, and the loop follows it until it is caught wrong; from then on the loop keeps its own belief,
 *   except within NEAR_FOCUS_SIDE_UM of focus, where the model names the side well, and where the model puts the
 *   focus past the plane the wrong move started from (the flip went past the focus).
 * Either way the loop moves towards focus on that side and reads again: if the residual grew, the focus is on the
 * other side (the move went away from it), so the side flips. That costs one extra image when the side is wrong,
 * against the dozen of a classic search.
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
  /**
   * Where a flip put the focus: beyond the plane the wrong move started from (`originUm`, relative to the plane of
   * the reading this belief was formed at), on the side `towards` (+1: above it). Kept from the last flip.
   */
  focusPast?: { originUm: number; towards: 1 | -1 };
}

/** The first guess of a magnitude model: above focus. Either guess costs one image when wrong. */
export const FIRST_GUESS: SideBelief = { side: 1, flips: 0 };

/** A signed model with at most this share of wrong sides (the target) is trusted: verify, no side search. */
export const SIGN_TRUSTED_RATE = 0.01;

/**
 * Within this of focus a side-guessing model names the side well (ldse-net-20x: 3-6 % of patches wrong within 3 um,
 * 17-19 % beyond 4 um; docs/eval-20x/predictions.csv), so its reading names the side even after it was caught wrong
 * far away. That also catches a move that overshot focus, which a belief kept from the far side would not.
 */
export const NEAR_FOCUS_SIDE_UM = 3;

/**
 * The side a reading names (modelSide models): the model's, until caught wrong; then the belief, except near focus
 * and where the model puts the focus past the plane the wrong move started from (`pointsPastOrigin`).
 */
function sideOf(belief: SideBelief, readingUm: number, modelSide: boolean): 1 | -1 {
  if (!modelSide) return belief.side;
  const far = Math.abs(readingUm) > NEAR_FOCUS_SIDE_UM;
  if (belief.flips > 0 && far && !pointsPastOrigin(belief, readingUm)) return belief.side;
  return readingUm < 0 ? -1 : 1;
}

/**
 * After a flip the focus lies past the plane the wrong move started from (the move went away from it; a crossing,
 * which can also make the reading grow, is told apart by sharpness before, `crossedFocus`). The belief's side, kept from the far side, is right as
 * long as the stage has not crossed the focus since; a flip sized by a reading the model over-read crosses it (40x
 * on HE_medium_nuclei: +7.90 um read at -5.13, down to -13.03, back up 15.8 to +2.78), and the belief then sent the
 * stage further up (+4.16 read there, rightly). The model's side is taken again when the focus it names lies past
 * that origin plane by more than NEAR_FOCUS_SIDE_UM: the origin read beyond the local search's reach, so the focus
 * is not that close to it, and a reading that points back to it is the far-side error the belief guards against.
 */
function pointsPastOrigin(belief: SideBelief, readingUm: number): boolean {
  if (!belief.focusPast) return false;
  // The focus the reading names, relative to the plane it was read at, is -readingUm (d = z - z_focus).
  const pastOrigin = (-readingUm - belief.focusPast.originUm) * belief.focusPast.towards;
  return pastOrigin > NEAR_FOCUS_SIDE_UM;
}

/** The belief carried to the plane after a move: the flip's origin plane, seen from there. */
function movedBy(belief: SideBelief, movedUm: number): SideBelief {
  if (!belief.focusPast) return belief;
  return { ...belief, focusPast: { ...belief.focusPast, originUm: belief.focusPast.originUm - movedUm } };
}

export interface SideStep {
  belief: SideBelief;
  /** The signed defocus the loop acts on. */
  defocusUm: number;
  /** Why the loop should stop trusting the model, or null. */
  disagreement: string | null;
}

/** The reading before the last move, the move made (z after - z before), and what sharpness says of the move. */
export interface PriorReading {
  magnitudeUm: number;
  movedUm: number;
  /** Sharpness of the frame now over the frame before the move (the classic metric), when the loop measured both. */
  sharpnessRatio?: number;
}

/**
 * One reading. `previous` is the reading before the last move and the move made; null on the first reading.
 * `modelSide`: the reading's sign is the model's guess of the side (signed models).
 */
export function readSide(
  current: SideBelief,
  readingUm: number,
  previous: PriorReading | null,
  toleranceUm: number,
  modelSide = false,
): SideStep {
  const m = Math.abs(readingUm);
  if (previous) current = movedBy(current, previous.movedUm);
  // The side this reading names; a flip below reverses the side the last move acted on (`current`), not this one.
  const belief: SideBelief = { ...current, side: sideOf(current, readingUm, modelSide) };
  if (!previous) return { belief, defocusUm: belief.side * m, disagreement: null };
  const moved = Math.abs(previous.movedUm);
  // A magnitude that fell by less than MIN_TRACKING of the move (or held, or grew): crossed, gone away, or lost.
  const barelyFell = moved > 2 * toleranceUm && previous.magnitudeUm - m < MIN_TRACKING * moved;
  if (barelyFell && crossedFocus(m, previous)) return crossed(current, m, previous);
  // A residual that grew means the wrong side, even when it grew less than the move: the model saturates far from
  // focus (the shipped ones near 9 um), so going 7 um the wrong way from -7 um may read only 9.
  if (m > previous.magnitudeUm + toleranceUm) return flip(current, m, previous);
  // After a flip the previous reading came from the far side, often beyond the model's range (it reads about 9 um at
  // 15 um): the move back cannot be expected to show in full.
  if (current.justFlipped)
    return { belief: { ...belief, justFlipped: false }, defocusUm: belief.side * m, disagreement: null };
  // A move of the full reading that left the residual where it was went away from focus too: far beyond it the model
  // saturates (about 9 um), so +9 um read at +18 um looks the same as at +9, give or take its noise there (`atCeiling`).
  const held = previous.magnitudeUm - m < toleranceUm || atCeiling(m, previous);
  if (moved > 2 * toleranceUm && held) return flip(current, m, previous);
  if (moved > 2 * toleranceUm && previous.magnitudeUm - m < MIN_TRACKING * moved) {
    return {
      belief,
      defocusUm: belief.side * m,
      disagreement: `the verify step disagrees: the stage moved ${formatSignedUm(previous.movedUm)} but the defocus magnitude changed from ${previous.magnitudeUm.toFixed(2)} to ${m.toFixed(2)} um (the model does not follow the focus here)`,
    };
  }
  if (modelSide && overshot(current, belief, m, previous)) return crossed(current, m, previous);
  return { belief, defocusUm: belief.side * m, disagreement: null };
}

/**
 * The model names the other side now, its magnitude fell, and both readings lie where it reads |d| at all (above
 * CROSSING_MIN_READING_UM, below its ceiling): the move went past the focus. That happens when the model over-reads
 * the sample, and the reading beyond the focus is then over-read alike (ldse-net-40x reads 1.4-1.5x on one held-out
 * slide: 8.02 um at 5.17, then 4.09 at -2.85). The ratio of the two readings splits the move whatever the scale
 * (2.71 here), where the reading alone sends the stage past the focus again.
 */
function overshot(current: SideBelief, now: SideBelief, reading: number, previous: PriorReading): boolean {
  return (
    now.side !== current.side &&
    reading > CROSSING_MIN_READING_UM &&
    reading < previous.magnitudeUm &&
    previous.magnitudeUm < CEILING_READING_UM
  );
}

/**
 * Below this (um) the reading itself decides: the run goes to the local search (loop.ts LOCAL_REFINE_MAX_UM), which
 * spaces its second plane by the reading, and the ratio of readings there is pulled down by the model's floor near
 * focus (the shipped models read 0.45-0.5 um at focus). Split so, 1-3 um readings put that plane nearer the focus and
 * took more images (bench:autofocus 40x: three runs in 60). Above it, the ratio decides between another move and the
 * local search. (The local search now starts below 3.5 um; 3.5 here changed no run of bench:autofocus --net-only,
 * seeds 1 and 2, 20x and 40x.)
 */
export const CROSSING_MIN_READING_UM = 3;

/**
 * A move that crossed the focus, though the reading barely fell: a model that reads k times the true defocus sends
 * the stage (k - 1) times as far past the focus, where it reads k (k - 1) times it, so the magnitude falls by (2 - k)
 * of the move. For k near 2 (the shipped models on monochrome frames: 40x reads 7.4-7.9 um at 3.5-4 um either side,
 * 20x 4.8-6.6 um at 2.6-3.8) that looks like a move away from focus, or a model that does not follow it: the loop
 * sent the stage 11 um out and back, or gave up for an 18-image search (bench:autofocus --mono). The other reading
 * of the same numbers, a model reading less than a third of the defocus, is not one a trained model gives.
 * Sharpness tells a crossing from a move away: moving away by a full reading leaves a much blurrier frame (the
 * virtual microscope's six slides: 0.11-0.71 of the sharpness at 20x for 2-8 um doubled, at 40x for 2-4 um),
 * crossing about as sharp a one (0.80-1.34 at 2-8 um either side of focus; a curve much steeper on one side can
 * hide a crossing from the sharper side, which then takes the flip as before). Far beyond the model's range (at its
 * ceiling) the reading says nothing, and a reading that grew by more than CROSSED_MAX_GROWTH is a model that reads
 * about right, gone the wrong way.
 */
export function crossedFocus(readingUm: number, previous: PriorReading): boolean {
  return (
    previous.sharpnessRatio !== undefined &&
    previous.sharpnessRatio >= CROSSED_SHARPNESS &&
    readingUm < CEILING_READING_UM &&
    readingUm <= CROSSED_MAX_GROWTH * previous.magnitudeUm
  );
}

/** Sharpness now over before the move at least this: the move did not go away from focus. */
export const CROSSED_SHARPNESS = 0.8;
/** A reading that grew by more than this factor over the move came from further away. */
export const CROSSED_MAX_GROWTH = 1.3;

/**
 * The focus lies between the planes before and after the move. A model that over-reads scales both readings alike,
 * so it splits the move in their ratio: the defocus now is the move times this reading's share of the two.
 */
function crossed(belief: SideBelief, reading: number, previous: PriorReading): SideStep {
  const d = previous.movedUm * (reading / (reading + previous.magnitudeUm));
  const side: 1 | -1 = d > 0 ? 1 : -1;
  return { belief: { ...belief, side, justFlipped: false }, defocusUm: d, disagreement: null };
}

/**
 * Both readings at the model's ceiling, where it saturates: how much the magnitude fell is its noise there, not the
 * move (40x on HE_medium_nuclei: -9.32 um read at +9.64, up 9.32 to +18.96, -8.96 there, which fell by more than the
 * tolerance: "does not follow the focus", and the coarse-to-fine search took 25 images). Sharpness cannot tell either:
 * that far out its curve is flat (0.88 of the frame before, noise). Within the model's range (starts within +-10 um,
 * its training range) a move of a full ceiling reading that still reads the ceiling went away from the focus. From
 * further out (over 17 um) the flip is wrong, the next reading grows or holds at the ceiling again, and after
 * MAX_SIDE_FLIPS the fallback search decides, as before.
 */
function atCeiling(readingUm: number, previous: PriorReading): boolean {
  return readingUm >= CEILING_READING_UM && previous.magnitudeUm >= CEILING_READING_UM;
}

/**
 * Readings this large are lower bounds: the shipped models top out near 9 um (they were trained on -10..+10 um), so
 * 9 um read after a wrong move may be 18 um.
 */
export const CEILING_READING_UM = 8.5;

/**
 * The residual grew: the move went away from focus, which lies on the other side. The defocus now is then about the
 * magnitude read before the move plus the move; a reading at the model's ceiling cannot say more than that.
 */
function flip(belief: SideBelief, reading: number, previous: PriorReading): SideStep {
  const m =
    reading >= CEILING_READING_UM ? Math.max(reading, previous.magnitudeUm + Math.abs(previous.movedUm)) : reading;
  // The move started at -movedUm from here and went away from the focus, which lies past its start.
  const focusPast = { originUm: -previous.movedUm, towards: (previous.movedUm > 0 ? -1 : 1) as 1 | -1 };
  const next: SideBelief = { side: belief.side === 1 ? -1 : 1, flips: belief.flips + 1, justFlipped: true, focusPast };
  if (next.flips > MAX_SIDE_FLIPS) {
    return {
      belief: next,
      defocusUm: next.side * m,
      disagreement: `the side of focus did not settle after ${MAX_SIDE_FLIPS} reversals (defocus magnitude ${m.toFixed(2)} um)`,
    };
  }
  return { belief: next, defocusUm: next.side * m, disagreement: null };
}

/** How the loop treats a model's readings, from its card (the service and the benchmark both use this). */
export interface SideHandling {
  /** The model reads |d| only. */
  magnitudeOnly: boolean;
  /** The model's sign is a guess the loop checks (sign errors above SIGN_TRUSTED_RATE). */
  sideFromModel: boolean;
  /** The model is coarser than the tolerance: a local search finishes the run. */
  refineNearFocus: boolean;
}

/** A signed model whose card reports more wrong sides than SIGN_TRUSTED_RATE: its sign is a guess. */
export function guessesSide(card: ModelCard | undefined): boolean {
  return card?.output.target === 'signed' && (card.metrics.test_sign_error_rate ?? 0) > SIGN_TRUSTED_RATE;
}

export function sideHandling(card: ModelCard | undefined, toleranceUm: number): SideHandling {
  const magnitudeOnly = card?.output.target === 'magnitude';
  const sideFromModel = guessesSide(card);
  const coarse = (card?.metrics.test_mae_um ?? Infinity) > toleranceUm;
  return { magnitudeOnly, sideFromModel, refineNearFocus: (magnitudeOnly || sideFromModel) && coarse };
}
