/**
 * The autofocus run: the network loop with verify and fallback, or a classic search on its own.
 *
 * Network: snap -> estimate -> (in tolerance? stop) -> clamp the move -> move by -d (backlash-aware) -> snap and
 * estimate again (verify) -> ... until |d| <= tolerance or the step limit. It falls back to a short classic search
 * (coarse-to-fine around the start, with a time limit) when an estimate is unsure (confidence below the threshold),
 * when the verify step disagrees (the residual grew, or flipped sign with a large magnitude: the model is wrong here),
 * or when the field loses its content after a move. A first frame with no focusable content ends the run without
 * a move (dark, saturated, noise: no search would find a focus there either), except a blank one, which may be tissue
 * far out of focus: planes further out are probed (probe.ts), then a classic search.
 *
 * Hardware failures end the run with a clear outcome (stage-error, camera-error) and the position where it stopped;
 * they are never thrown past this function. Cancellation ends it with outcome 'cancelled'.
 */
import type { Estimate } from '../../shared/autofocus';
import { formatSignedUm } from '../../shared/autofocus';
import type { FocusCurvePoint } from '../../shared/dataset';
import { COARSE_PASS, FINE_PASS, SWEEP_PASS, type ClassicPass } from './classic';
import { clampToLimits, moveBacklashAware, planMove, sleep } from './move';
import { probePlanes } from './probe';
import { bracketOfVisited, refineNearFocus, type RefineResult } from './refine';
import {
  capitalise,
  checkCancelled,
  classicMessage,
  endedByError,
  failedBeforeStart,
  finish,
  netMoveCount,
  planeCounter,
  plural,
  probedFirst,
  readAt,
  readHere,
  readingAt,
  RunState,
  runClassic,
  safePosition,
  sharpnessRatio,
  type Reading,
  type RunOptions,
  type RunTrace,
} from './run';
import { FIRST_GUESS, MIN_TRACKING, readSide, type SideBelief } from './side';

export type { AutofocusDevices, EstimateRecord, FrameEstimator, RunOptions, RunProgress, RunTrace } from './run';

/**
 * Within this (um) of a reading, sharpness finishes the run for a coarse model (refineLocally), and the fallback
 * searches only around the stage. With the previous 20x model 2.5 cost images (a 1.5x over-read took 2 um to 2.7-3
 * um, a net move and a pair instead of a pair) and 3.5 gave the same as 3. With the models of docs/training.md 3f,
 * 3.5 saves the net move for readings of 3-3.5 um (the pair's second plane goes 4 um out, the cap, so it still
 * reaches past the focus): bench:autofocus --net-only, 60 starts, seeds 1 / 2: 20x 2.92 / 2.78 -> 2.85 / 2.73
 * images, 40x 3.10 / 3.53 -> 3.03 / 3.48, final |d| p95 within 0.03 um of before. 4 gave 40x 3.05 and a 0.41 um
 * worst case (pairs 4 um apart, the nearer plane still 3 um out).
 */
export const LOCAL_REFINE_MAX_UM = 3.5;
/**
 * The fallback near focus: three planes 1 um apart, enough for a curve fit within the depth of field. A peak at an
 * edge adds two planes that way (twice at most), since the network's last reading was within LOCAL_REFINE_MAX_UM.
 */
const LOCAL_PASS: ClassicPass = { halfRangeUm: 1, stepUm: 1, extensionPlanes: 2 };

/**
 * Does the verify estimate agree with the move just made? `previousUm` is the estimate before the move, `movedUm` the
 * move actually made (z after - z before), `nowUm` the estimate after it. A model that reads focus correctly sees
 * its estimate change by about the move (now - previous ~ moved). Returns the reason when it does not:
 * - the residual grew (|now| > |previous| + tolerance): wrong sign, or a wild estimate;
 * - it flipped sign with a large magnitude (> max(0.5 |previous|, 4 x tolerance)): a large overshoot;
 * - the estimate hardly changed although the stage moved (less than MIN_TRACKING of the move, for moves above
 *   2 x tolerance): a model that answers about the same whatever it sees (untrained, out of its domain).
 */
export function verifyDisagreement(
  previousUm: number,
  nowUm: number,
  toleranceUm: number,
  movedUm = -previousUm,
): string | null {
  const prev = Math.abs(previousUm);
  const now = Math.abs(nowUm);
  if (now > prev + toleranceUm) {
    return `the verify step disagrees: the residual grew from ${formatSignedUm(previousUm)} to ${formatSignedUm(nowUm)}`;
  }
  if (Math.sign(nowUm) !== Math.sign(previousUm) && now > Math.max(0.5 * prev, 4 * toleranceUm)) {
    return `the verify step disagrees: the residual flipped sign with a large magnitude (${formatSignedUm(previousUm)} then ${formatSignedUm(nowUm)})`;
  }
  if (Math.abs(movedUm) > 2 * toleranceUm && (nowUm - previousUm) / movedUm < MIN_TRACKING) {
    return `the verify step disagrees: the stage moved ${formatSignedUm(movedUm)} but the estimate changed by ${formatSignedUm(nowUm - previousUm)} (the model does not follow the focus here)`;
  }
  return null;
}

export async function runAutofocus(o: RunOptions): Promise<RunTrace> {
  const { zStage } = o.devices;
  let startZUm: number;
  try {
    startZUm = await zStage.position();
  } catch (err) {
    return failedBeforeStart(o, err);
  }
  const state = new RunState(o, startZUm);
  try {
    if (o.method === 'net') return await runNet(state);
    const passes = o.method === 'sweep' ? [SWEEP_PASS] : [COARSE_PASS, FINE_PASS];
    const classic = await runClassic(state, passes, startZUm, undefined);
    return finish(state, {
      outcome: classic.peakFound ? 'focused' : 'step-limit',
      message: classicMessage(classic, o.method),
      decidedBy: o.method === 'sweep' ? 'sweep' : 'coarse-to-fine',
      fallbackReason: null,
      classic,
      residualUm: classic.zFocusUm !== null ? (await safePosition(zStage, classic.zBestUm)) - classic.zFocusUm : null,
      regions: null,
    });
  } catch (err) {
    return endedByError(state, err);
  }
}

async function runNet(s: RunState): Promise<RunTrace> {
  const { o } = s;
  const { zStage } = o.devices;
  const cfg = o.settings;
  if (!o.estimate) throw new Error('the network method needs an estimator');
  // The reading before the last move, the move, and the sharpness of the frame it was read from.
  let previous: { defocusUm: number; movedUm: number; sharpness: number } | null = null;
  let fallbackReason: string | null = null;
  let last: Estimate | null = null;
  const sideChecked = o.magnitudeOnly === true || o.sideFromModel === true;
  let belief: SideBelief = FIRST_GUESS;
  // A probe plane that showed content after a blank first frame: the loop goes on from its reading.
  let probed: Reading | null = null;
  let flippedBlank = false;
  // The |d| of a reading the network was unsure of, far from focus: the fallback looks that far either side first.
  let unsureAtUm: number | null = null;
  for (;;) {
    checkCancelled(o.signal);
    s.progress(s.images === 0 ? 'Estimating defocus' : 'Verifying');
    const { zUm, estimate: est } = probed ?? (await readHere(s));
    probed = null;
    const here = s.visited[s.visited.length - 1];
    let reading = est.status === 'ok' ? est.defocusUm : null;
    // A field that washed out after a move of a side-guessing model: the move went away from focus, beyond the
    // model's range. Read as a defocus of the magnitude before the move plus the move, so the side flips (once).
    const washedOut =
      reading === null && previous !== null && sideChecked && est.refusedAs === 'blank' && !flippedBlank;
    if (washedOut) {
      flippedBlank = true;
      reading = belief.side * (Math.abs(previous!.defocusUm) + Math.abs(previous!.movedUm));
    }
    if (reading === null) {
      if (previous === null) {
        // Reached once at most: a probe reading always has content.
        if (est.refusedAs === 'blank' && cfg.fallback) {
          probed = await probeAround(s);
          if (probed) continue;
          return searchBlankField(s, est);
        }
        return finish(s, {
          outcome: 'no-content',
          message: `${capitalise(est.reason ?? 'no focusable content')}; nothing was moved`,
          decidedBy: 'none',
          fallbackReason: null,
          classic: null,
          residualUm: null,
          regions: est.regions,
        });
      }
      fallbackReason = `the field lost its focusable content after a move (${est.reason ?? 'no content'})`;
      break;
    }
    last = est;
    let d: number = reading;
    if (sideChecked) {
      const prior = previous && {
        magnitudeUm: Math.abs(previous.defocusUm),
        movedUm: previous.movedUm,
        sharpnessRatio: sharpnessRatio(here, previous.sharpness),
      };
      const step = readSide(belief, d, prior, cfg.toleranceUm, o.sideFromModel === true);
      belief = step.belief;
      d = step.defocusUm;
      if (step.disagreement) {
        fallbackReason = step.disagreement;
        break;
      }
    } else if (previous) {
      const disagreement = verifyDisagreement(previous.defocusUm, d, cfg.toleranceUm, previous.movedUm);
      if (disagreement) {
        fallbackReason = disagreement;
        break;
      }
    }
    if (o.refineNearFocus && cfg.fallback && Math.abs(d) <= LOCAL_REFINE_MAX_UM) {
      return refineLocally(s, est, d, here);
    }
    if (!washedOut && est.confidence < cfg.confidenceThreshold && cfg.fallback) {
      fallbackReason = `the network is unsure (confidence ${est.confidence.toFixed(2)} < ${cfg.confidenceThreshold})`;
      unsureAtUm = Math.abs(d);
      break;
    }
    if (Math.abs(d) <= cfg.toleranceUm) {
      return finish(s, {
        outcome: 'focused',
        message: `${probedFirst(s)}In focus: ${s.moves.length ? `residual ${formatSignedUm(d)} after ${plural(netMoveCount(s), 'move')}` : `already within ${cfg.toleranceUm} um (${formatSignedUm(d)})`}`,
        decidedBy: 'net',
        fallbackReason: null,
        classic: null,
        residualUm: d,
        regions: est.regions,
      });
    }
    // A model whose side is checked may spend one move finding the side of focus.
    const stepLimit = cfg.stepLimit + (sideChecked ? 1 : 0);
    if (netMoveCount(s) >= stepLimit) {
      if (o.refineNearFocus && cfg.fallback) {
        fallbackReason = `the step limit (${plural(stepLimit, 'move')}) was reached ${formatSignedUm(d)} from focus`;
        break;
      }
      return finish(s, {
        outcome: 'step-limit',
        message: `Stopped after ${plural(s.moves.length, 'move')} (the step limit) with ${formatSignedUm(d)} left`,
        decidedBy: 'net',
        fallbackReason: null,
        classic: null,
        residualUm: d,
        regions: est.regions,
      });
    }
    const plan = planMove(zUm, d, cfg.maxMoveUm, zStage.limits());
    if (!plan) {
      return finish(s, {
        outcome: 'step-limit',
        message: `Cannot move by ${formatSignedUm(-d)}: the stage is at its soft limit`,
        decidedBy: 'net',
        fallbackReason: null,
        classic: null,
        residualUm: d,
        regions: est.regions,
      });
    }
    s.progress(`Moving ${formatSignedUm(plan.targetUm - zUm)}`);
    const reached = await moveBacklashAware(zStage, plan.targetUm);
    await sleep(zStage.settleMs(), o.signal);
    s.moves.push({ fromUm: zUm, toUm: reached, requestedUm: plan.requestedUm, clamped: plan.clamped, by: 'net' });
    // The verify estimate must read a smaller residual (about d + the move: 0 unless clamped) and follow the move.
    previous = { defocusUm: d, movedUm: reached - zUm, sharpness: here.sharpness };
  }
  if (!cfg.fallback) {
    return finish(s, {
      outcome: 'step-limit',
      message: `${capitalise(fallbackReason)}; the fallback search is off, so the run stopped here`,
      decidedBy: 'net',
      fallbackReason,
      classic: null,
      residualUm: last?.defocusUm ?? null,
      regions: last?.regions ?? null,
    });
  }
  s.progress(`Fallback search: ${fallbackReason}`);
  // The network brought the stage close (its last reading is small) but cannot finish: a few planes around where it
  // stopped settle it. Otherwise the search starts over around the start.
  const near = last !== null && last.defocusUm !== null && Math.abs(last.defocusUm) <= LOCAL_REFINE_MAX_UM;
  if (!near && !o.fallbackPasses && o.refineNearFocus && unsureAtUm !== null) {
    const refined = await searchBothSides(s, unsureAtUm);
    if (refined?.peakFound) {
      return finish(s, {
        outcome: 'focused',
        message: `${capitalise(fallbackReason)}: of the planes ${unsureAtUm.toFixed(1)} um either side, the sharper one started a search around it (${classicMessage(refined, 'local')})`,
        decidedBy: 'net+fallback',
        fallbackReason,
        classic: refined,
        residualUm: refined.zFocusUm !== null ? refined.zBestUm - refined.zFocusUm : null,
        regions: last?.regions ?? null,
      });
    }
  }
  // Far from focus, but the planes the network visited bracket it (the sharpest lies between blurrier ones): search
  // there, not all over again around the start.
  const bracket = !near && !o.fallbackPasses ? bracketOfVisited(s.visited) : null;
  if (bracket) {
    s.progress(`Fallback search around ${bracket.here.z.toFixed(2)} um: ${fallbackReason}`);
    // The network's own reading at that plane checks a pair there, as after a reading near focus.
    const refined = await refineAround(s, bracket.here, bracket.defocusUm, readingAt(s, bracket.here.z));
    if (refined.peakFound) {
      return finish(s, {
        outcome: 'focused',
        message: `${capitalise(fallbackReason)}: the sharpest plane the network visited (${bracket.here.z.toFixed(2)} um) lay between blurrier ones, and a search around it decided (${classicMessage(refined, 'local')})`,
        decidedBy: 'net+fallback',
        fallbackReason,
        classic: refined,
        residualUm: refined.zFocusUm !== null ? refined.zBestUm - refined.zFocusUm : null,
        regions: last?.regions ?? null,
      });
    }
  }
  const classic = await runClassic(
    s,
    o.fallbackPasses ?? (near ? [LOCAL_PASS] : [COARSE_PASS, FINE_PASS]),
    near ? await safePosition(zStage, s.startZUm) : s.startZUm,
    cfg.fallbackTimeLimitMs,
  );
  const finalZ = await safePosition(zStage, classic.zBestUm);
  return finish(s, {
    outcome: classic.peakFound ? 'focused' : 'step-limit',
    message: `${capitalise(fallbackReason)}: a classic search decided (${classicMessage(classic, near ? 'local' : 'coarse-to-fine')})`,
    decidedBy: 'net+fallback',
    fallbackReason,
    classic,
    residualUm: classic.zFocusUm !== null ? finalZ - classic.zFocusUm : null,
    regions: last?.regions ?? null,
  });
}

/**
 * The shipped models read |d| to about 1 um near focus (docs/eval-20x), coarser than the tolerance: once one reads
 * less than LOCAL_REFINE_MAX_UM, sharpness finishes the run from the frame just estimated (refine.ts): one more
 * plane when the two straddle the focus, else a third and a curve fit.
 */
async function refineLocally(s: RunState, est: Estimate, d: number, here: FocusCurvePoint): Promise<RunTrace> {
  s.progress('Refining: planes around the stage');
  const netMoves = netMoveCount(s);
  const refined = await refineAround(s, here, d, d);
  const finalZ = refined.zBestUm;
  const how =
    refined.how === 'pair'
      ? `two planes either side of it put the focus at ${refined.zBestUm.toFixed(2)} um`
      : refined.how === 'pair+reading'
        ? `two planes and the network's reading of the farther one put the focus at ${refined.zBestUm.toFixed(2)} um`
        : `a search around the stage finished (${classicMessage(refined, 'local')})`;
  return finish(s, {
    outcome: refined.peakFound ? 'focused' : 'step-limit',
    message: `${probedFirst(s)}The network came within about ${Math.abs(d).toFixed(2)} um${netMoves ? ` in ${plural(netMoves, 'move')}` : ''}; ${how}`,
    decidedBy: 'net+refine',
    fallbackReason: null,
    classic: refined,
    residualUm: refined.zFocusUm !== null ? finalZ - refined.zFocusUm : null,
    regions: est.regions,
  });
}

/**
 * A first frame with no contrast at all, and no probe plane further out showed content either (probe.ts): empty glass,
 * or tissue that stays washed out. A classic coarse-to-fine search from the start tells the two apart; without a
 * sharpness peak the stage goes back where it was and the field is blank.
 */
async function searchBlankField(s: RunState, est: Estimate): Promise<RunTrace> {
  const { o } = s;
  const { zStage } = o.devices;
  s.progress('The field looks blank: searching for focus');
  const classic = await runClassic(s, [COARSE_PASS, FINE_PASS], s.startZUm, o.settings.fallbackTimeLimitMs);
  if (classic.peakFound) {
    const finalZ = await safePosition(zStage, classic.zBestUm);
    return finish(s, {
      outcome: 'focused',
      message: `The first frame looked blank (far out of focus); a classic search found the focus (${classicMessage(classic, 'coarse-to-fine')})`,
      decidedBy: 'net+fallback',
      fallbackReason: 'the first frame had no focusable content',
      classic,
      residualUm: classic.zFocusUm !== null ? finalZ - classic.zFocusUm : null,
      regions: est.regions,
    });
  }
  const before = await safePosition(zStage, s.startZUm);
  const back = await moveBacklashAware(zStage, s.startZUm);
  s.moves.push({ fromUm: before, toUm: back, requestedUm: s.startZUm - before, clamped: false, by: 'fallback' });
  const planes = classic.points.map((p) => p.z);
  return finish(s, {
    outcome: 'no-content',
    message: `${capitalise(est.reason ?? 'no focusable content')}, and no plane from ${Math.min(...planes).toFixed(1)} to ${Math.max(...planes).toFixed(1)} um showed a sharpness peak; the stage went back to ${s.startZUm.toFixed(2)} um`,
    decidedBy: 'none',
    fallbackReason: null,
    classic,
    residualUm: null,
    regions: est.regions,
  });
}

/**
 * After an unsure reading far from focus: its magnitude often holds where its side or its spread do not. The planes
 * that far above and below are imaged and read; when the sharper one is sharper than the plane the run stands on and
 * the network reads it near focus, the near-focus search starts there. Null otherwise (the planes stay visited, so a
 * bracket of them can start the next fallback).
 */
async function searchBothSides(s: RunState, magnitudeUm: number): Promise<RefineResult | null> {
  const { zStage } = s.o.devices;
  const from = await zStage.position();
  const standing = s.visited[s.visited.length - 1];
  const limits = zStage.limits();
  const m = Math.min(magnitudeUm, s.o.settings.maxMoveUm);
  const planes = [from - m, from + m].map((z) => clampToLimits(z, limits)).filter((z) => Math.abs(z - from) >= 1);
  let best: { point: FocusCurvePoint; estimate: Estimate } | null = null;
  for (const z of planes) {
    const { estimate } = await readAt(s, z);
    const point = s.visited[s.visited.length - 1];
    if (!best || point.sharpness > best.point.sharpness) best = { point, estimate };
  }
  if (!best || !(best.point.sharpness > standing.sharpness)) return null;
  const d = best.estimate.status === 'ok' ? best.estimate.defocusUm : null;
  if (d === null || Math.abs(d) > LOCAL_REFINE_MAX_UM) return null;
  return refineAround(s, best.point, d, d);
}

/** After a blank first frame: planes further out until one shows content (probe.ts), each counted in the run. */
async function probeAround(s: RunState): Promise<Reading | null> {
  s.progress('The field looks blank: looking further out');
  for (const z of probePlanes(s.startZUm, s.o.devices.zStage.limits())) {
    s.probes++;
    const reading = await readAt(s, z);
    if (reading.estimate.status === 'ok' && reading.estimate.defocusUm !== null) return reading;
  }
  return null;
}

/**
 * The near-focus search of refine.ts from a plane already imaged, counted in the run (images, one move). `reading`:
 * the network's reading at `here` (for a bracket, defocusUm is only a direction), against which a pair is checked with
 * its reading at the second plane; null: no reading, no check.
 */
async function refineAround(
  s: RunState,
  here: FocusCurvePoint,
  defocusUm: number,
  reading: number | null,
): Promise<RefineResult> {
  const { o } = s;
  const before = await o.devices.zStage.position();
  const refined = await refineNearFocus({
    camera: o.devices.camera,
    zStage: o.devices.zStage,
    here,
    defocusUm,
    hereReadingUm: reading ?? undefined,
    depthOfFieldUm: o.depthOfFieldUm,
    timeLimitMs: o.settings.fallbackTimeLimitMs,
    signal: o.signal,
    onFrame: planeCounter(s),
    readingSided: o.magnitudeOnly !== true,
    toleranceUm: o.settings.toleranceUm,
    readMagnitude:
      reading === null
        ? undefined
        : async (frame) => {
            const est = await o.estimate!(frame);
            s.estimates.push({ zUm: await o.devices.zStage.position(), estimate: est });
            return est.status === 'ok' ? est.defocusUm : null;
          },
  });
  const finalZ = await safePosition(o.devices.zStage, refined.zBestUm);
  s.moves.push({ fromUm: before, toUm: finalZ, requestedUm: finalZ - before, clamped: false, by: 'fallback' });
  return { ...refined, zBestUm: finalZ };
}
