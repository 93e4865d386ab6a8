/**
 * Every autofocus run goes into the dataset (autofocus_runs): start and end z, every estimate with its per-patch
 * predictions, the moves, the verified residual, the time, the method, the model and the white reference. A run whose verified residual is
 * large - the network was wrong here - is a hard example: its first frame is saved as a one-image stack labelled from
 * the verified focus (recordAutofocusRun), so the next export retrains on it.
 */
import type Database from 'better-sqlite3';
import type { AutofocusHistoryRow, WhiteReference } from '../../shared/autofocus';
import type { ModelCard } from '../../shared/model-card';
import { isSetupPresetId, SETUP_PRESETS } from '../../shared/optics';
import type { Dataset } from '../dataset/db';
import { recordAutofocusRun } from '../dataset/hardExample';
import { setupFromOptics } from '../dataset/presets';
import { listAutofocusRuns, type AutofocusRunRow } from '../dataset/repo/autofocus';
import { upsertModel } from '../dataset/repo/models';
import { getSetup, upsertSetup } from '../dataset/repo/setups';
import { getOrCreateSlide } from '../dataset/repo/slides';
import type { RunTrace } from './loop';

/** A verified residual beyond this (um) makes the run a hard example. */
export const HARD_EXAMPLE_UM = 1.0;

export interface RunContext {
  setupId: string;
  /** The camera's pixel size (for a setup the dataset does not know yet). */
  pixelSizeUm: number;
  card: ModelCard | null;
  slideName?: string;
  xUm?: number | null;
  yUm?: number | null;
  toleranceUm: number;
  /** The white reference the frames' tiles were balanced by (white-reference.ts); null: read as they came. */
  whiteReference?: WhiteReference | null;
}

/**
 * Hard example: the verified residual is large, or the network's first estimate was off by more than HARD_EXAMPLE_UM
 * from the focus the fallback search found (the verified truth for that frame).
 */
export function isHardExample(trace: RunTrace, toleranceUm = 0.25): boolean {
  if (trace.method !== 'net') return false;
  if (trace.residualUm !== null && Math.abs(trace.residualUm) > Math.max(HARD_EXAMPLE_UM, 4 * toleranceUm)) return true;
  const first = trace.estimates[0]?.estimate.defocusUm;
  const focus = trace.classic?.peakFound ? trace.classic.zFocusUm : null;
  if (trace.decidedBy === 'net+fallback' && first !== null && first !== undefined && focus !== null) {
    return Math.abs(first - (trace.startZUm - focus)) > HARD_EXAMPLE_UM;
  }
  return false;
}

/** The setup row the run refers to: the dataset's, else the optics preset, else one made from the camera and card. */
export function ensureRunSetup(db: Database.Database, ctx: RunContext): string {
  if (getSetup(db, ctx.setupId)) return ctx.setupId;
  if (isSetupPresetId(ctx.setupId)) return upsertSetup(db, setupFromOptics(SETUP_PRESETS[ctx.setupId])).id;
  const o = ctx.card?.optics;
  return upsertSetup(db, {
    id: ctx.setupId,
    name: `${ctx.setupId} (added by autofocus)`,
    magnification: o?.magnification ?? 1,
    na: o?.na ?? 0.1,
    immersionIndex: o?.immersion_index ?? 1,
    pixelSizeUm: ctx.pixelSizeUm,
    notes: 'added by autofocus: optics from the model card, check them',
  }).id;
}

function storedMethod(trace: RunTrace): string {
  if (trace.method !== 'net') return trace.method;
  return trace.decidedBy === 'net+fallback' || trace.decidedBy === 'net+refine' ? trace.decidedBy : 'net';
}

export async function storeRun(ds: Dataset, trace: RunTrace, ctx: RunContext): Promise<{ id: number; hard: boolean }> {
  const db = ds.db;
  const setupId = ensureRunSetup(db, ctx);
  const slide = getOrCreateSlide(db, { name: ctx.slideName ?? 'unknown slide (autofocus)' });
  if (ctx.card) {
    const cardSetup = ctx.card.optics.setup_id;
    let modelSetup: string | null = null;
    if (getSetup(db, cardSetup)) modelSetup = cardSetup;
    else if (isSetupPresetId(cardSetup)) modelSetup = upsertSetup(db, setupFromOptics(SETUP_PRESETS[cardSetup])).id;
    upsertModel(db, {
      id: ctx.card.id,
      name: ctx.card.name,
      architecture: ctx.card.architecture,
      file: ctx.card.file,
      sha256: ctx.card.sha256,
      setupId: modelSetup,
      card: ctx.card,
    });
  }
  const hard = isHardExample(trace, ctx.toleranceUm) && trace.residualUm !== null && trace.firstFrame !== null;
  const first = trace.estimates[0]?.estimate;
  const { id } = await recordAutofocusRun(
    ds,
    {
      setupId,
      slideId: slide.id,
      modelId: ctx.card?.id ?? null,
      method: storedMethod(trace),
      xUm: ctx.xUm ?? null,
      yUm: ctx.yUm ?? null,
      zStartUm: trace.startZUm,
      zEndUm: trace.finalZUm,
      predictedDefocusUm: first?.defocusUm ?? null,
      confidence: first?.confidence ?? null,
      predictions: {
        outcome: trace.outcome,
        decidedBy: trace.decidedBy,
        fallbackReason: trace.fallbackReason,
        images: trace.images,
        estimates: trace.estimates.map((e) => ({
          zUm: e.zUm,
          status: e.estimate.status,
          defocusUm: e.estimate.defocusUm,
          confidence: e.estimate.confidence,
          spreadUm: e.estimate.spreadUm,
          patchesTotal: e.estimate.patchesTotal,
          patchesKept: e.estimate.patchesKept,
          computeMs: e.estimate.computeMs,
          regions: e.estimate.regions,
          patches: e.estimate.patches,
          ...(e.estimate.glass ? { glass: e.estimate.glass } : {}),
        })),
        curve: trace.curve,
        classic: trace.classic,
        // a hard example's saved frame is the camera's; these say how the model saw it
        whiteReference: ctx.whiteReference ?? null,
      },
      moves: trace.moves,
      verifiedResidualUm: trace.residualUm,
      timeMs: trace.elapsedMs,
      hardExample: hard,
      notes: `${trace.outcome}: ${trace.message}`,
    },
    hard ? trace.firstFrame! : undefined,
  );
  return { id, hard };
}

interface StoredPredictions {
  outcome?: string;
  images?: number;
}

export function historyRows(db: Database.Database, limit: number): AutofocusHistoryRow[] {
  const rows: AutofocusRunRow[] = listAutofocusRuns(db);
  return rows
    .slice(-limit)
    .reverse()
    .map((r) => {
      let p: StoredPredictions = {};
      try {
        p = r.predictions ? (JSON.parse(r.predictions) as StoredPredictions) : {};
      } catch {
        p = {};
      }
      let moves: number | null = null;
      try {
        const m = r.moves ? (JSON.parse(r.moves) as unknown[]) : null;
        moves = Array.isArray(m) ? m.length : null;
      } catch {
        moves = null;
      }
      return {
        id: r.id,
        createdAt: r.created_at,
        method: r.method,
        modelId: r.model_id,
        setupId: r.setup_id,
        zStartUm: r.z_start_um,
        zEndUm: r.z_end_um,
        predictedDefocusUm: r.predicted_defocus_um,
        confidence: r.confidence,
        residualUm: r.verified_residual_um,
        timeMs: r.time_ms,
        images: typeof p.images === 'number' ? p.images : null,
        moves,
        outcome: typeof p.outcome === 'string' ? p.outcome : null,
        hardExample: r.hard_example === 1,
      };
    });
}
