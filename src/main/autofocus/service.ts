/**
 * Autofocus as the app offers it (contract: autofocus.*): the current microscope, the model for its optical setup
 * (checked against the setup), the saved settings, estimates for the live overlay, runs (the task body) stored in
 * the dataset, and the history.
 */
import type { Camera, XYStage, ZStage } from '../../hardware/types';
import {
  AutofocusSettings,
  type AutofocusMethod,
  type AutofocusResult,
  type AutofocusHistoryRow,
  type AutofocusSettings as Settings,
  type Estimate,
  type GlassInView,
  type WhiteReference,
} from '../../shared/autofocus';
import type { ModelCard } from '../../shared/model-card';
import { depthOfFieldUm, isSetupPresetId, SETUP_PRESETS, type OpticalSetup } from '../../shared/optics';
import type { Dataset } from '../dataset/db';
import { getSetup } from '../dataset/repo/setups';
import { depthOfFieldUm as cardDepthOfFieldUm } from '../evaluation/dof';
import { InferenceError, type InferenceEngine, type ModelRegistry } from '../inference';
import { checkFileAgainstCard, readModelCard } from '../inference/card-validation';
import { logger } from '../log';
import { checkModelForSetup, mismatchMessage, preferenceRank, type SetupOptics } from './compat';
import { AutofocusError } from './errors';
import { estimateFrame, OnnxPredictor, type DefocusPredictor } from './estimate';
import { referenceFromSighting, type GlassSighting } from './glass-in-view';
import { cameraLabel, takeWhiteReference, type TakenReference } from './white-reference';
import { runAutofocus, type RunProgress, type RunTrace } from './loop';
import { sideHandling } from './side';
import { historyRows, storeRun } from './record';
import { loadSettings, mergeSettings, saveSettings, settingsPath } from './settings';

export interface AutofocusHardware {
  camera: Camera;
  zStage: ZStage;
  xyStage?: XYStage;
  setupId: string;
  /** The optics of the setup, where the hardware profile knows them. */
  setup?: OpticalSetup;
}

export interface AutofocusServiceOptions {
  /** The microscope in use now (it may be replaced between calls). */
  hardware: () => AutofocusHardware;
  registry: ModelRegistry;
  engine: () => Promise<InferenceEngine>;
  /** The app's data folder: the settings file lives there. */
  dataDir: string;
  /** The dataset runs are stored in; absent: runs are not stored. */
  dataset?: () => Dataset;
  /** Name of the slide under the objective, where the hardware knows it (the virtual microscope does). */
  slideName?: () => string | undefined;
  /** A predictor to use instead of the registry's models (tests, benchmarks). */
  predictor?: DefocusPredictor;
}

export interface RunControl {
  signal?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
}

export class AutofocusService {
  private settingsCache: Settings | null = null;
  private readonly predictors = new Map<string, OnnxPredictor>();
  /** Why the settings file was not used, once, for the UI to show. */
  settingsProblem: string | null = null;
  /** The reference and camera last warned about (a reference taken with another camera). */
  private warnedReference: string | null = null;
  /** The glass last seen near focus, with its camera and exposure (whiteReferenceFromGlass). */
  private glassSighting: GlassSighting | null = null;

  constructor(private readonly o: AutofocusServiceOptions) {}

  get settingsFile(): string {
    return settingsPath(this.o.dataDir);
  }

  async getSettings(): Promise<Settings> {
    if (!this.settingsCache) {
      const loaded = await loadSettings(this.settingsFile);
      this.settingsCache = loaded.settings;
      this.settingsProblem = loaded.problem;
      if (loaded.problem) logger.warn({ problem: loaded.problem }, 'autofocus settings');
    }
    return { ...this.settingsCache };
  }

  async setSettings(patch: unknown): Promise<Settings> {
    const next = mergeSettings(await this.getSettings(), patch);
    await saveSettings(this.settingsFile, next);
    this.settingsCache = next;
    this.settingsProblem = null;
    return { ...next };
  }

  /** The optics of the setup in use: the camera's pixel size, NA and magnification from the preset or the dataset. */
  setupOptics(): SetupOptics {
    const hw = this.o.hardware();
    const pixelSizeUm = hw.camera.info().pixelSizeUm;
    const p = hw.setup ?? (isSetupPresetId(hw.setupId) ? SETUP_PRESETS[hw.setupId] : undefined);
    if (p) {
      return {
        setupId: hw.setupId,
        pixelSizeUm,
        magnification: p.magnification,
        na: p.na,
        immersionIndex: p.immersionIndex,
      };
    }
    try {
      const s = this.o.dataset ? getSetup(this.o.dataset().db, hw.setupId) : undefined;
      if (s)
        return {
          setupId: s.id,
          pixelSizeUm,
          magnification: s.magnification,
          na: s.na,
          immersionIndex: s.immersionIndex,
        };
    } catch {
      // no dataset: the camera's pixel size is all we know
    }
    return { setupId: hw.setupId, pixelSizeUm };
  }

  /** The model to use: the override, the saved setting, else the registry's model for the current setup. */
  async resolveModel(override?: string | null): Promise<{ ref: string; card: ModelCard; cardPath: string } | null> {
    if (this.o.predictor) return null;
    const settings = await this.getSettings();
    const ref = override ?? settings.model;
    if (ref) {
      const cardPath = await this.o.registry.resolve(ref);
      return { ref, card: await readModelCard(cardPath), cardPath };
    }
    const hw = this.o.hardware();
    const setupId = hw.setupId;
    const camera = hw.camera.info().channels === 1 ? 'monochrome' : 'colour';
    const entries = (await this.o.registry.list({ verifyFiles: false })).filter(
      (e) => e.valid && e.card && e.card.optics.setup_id === setupId,
    );
    const rank = (id: string, card: ModelCard) => preferenceRank(id, card, `ldse-net-${setupId}`, camera);
    entries.sort((a, b) => rank(a.id, a.card!) - rank(b.id, b.card!));
    // Hash only as far as needed: the first candidate whose file matches its card wins.
    for (const e of entries) {
      try {
        await checkFileAgainstCard(e.card!, e.path);
        return { ref: e.id, card: e.card!, cardPath: e.cardPath };
      } catch (err) {
        logger.warn({ model: e.id, err: (err as Error).message }, 'autofocus skips an invalid model');
      }
    }
    return null;
  }

  private async noModelMessage(): Promise<string> {
    const setupId = this.o.hardware().setupId;
    const all = (await this.o.registry.list({ verifyFiles: false })).filter((e) => e.valid).map((e) => e.id);
    return `no model for optical setup ${setupId} in ${this.o.registry.dirs.join(', ')}${all.length ? ` (found: ${all.join(', ')}; pick one in the autofocus settings)` : ''}; train one (training/README.md) or use a classic method`;
  }

  /** The predictor for a model, checked against the setup unless the mismatch is allowed. */
  async predictorFor(override?: string | null, allowMismatch?: boolean): Promise<DefocusPredictor> {
    if (this.o.predictor) return this.o.predictor;
    const settings = await this.getSettings();
    const model = await this.resolveModel(override);
    if (!model) throw new AutofocusError('no-model', await this.noModelMessage());
    const optics = this.setupOptics();
    const match = checkModelForSetup(model.card, optics);
    if (!match.ok && !(allowMismatch ?? settings.allowModelMismatch)) {
      throw new AutofocusError('model-mismatch', mismatchMessage(model.card, optics, match), {
        model: model.card.id,
        setupId: optics.setupId,
        problems: match.problems,
      });
    }
    const engine = await this.o.engine();
    const cached = this.predictors.get(model.cardPath);
    if (cached && engine.info(cached.modelId)?.cardPath === model.cardPath) return cached;
    const info = await engine.load(model.cardPath);
    const predictor = new OnnxPredictor(engine, info);
    this.predictors.set(model.cardPath, predictor);
    return predictor;
  }

  /** One snap, one estimate, no move (the live overlay). */
  async estimate(input: { model?: string; allowModelMismatch?: boolean } = {}): Promise<Estimate> {
    const predictor = await this.predictorFor(input.model, input.allowModelMismatch);
    const settings = await this.getSettings();
    const frame = await this.o.hardware().camera.snap();
    const estimate = await estimateFrame(frame, predictor, {
      maxPatches: settings.maxPatches,
      whiteReference: this.whiteReferenceFor(settings),
    });
    this.sawGlass([estimate.glass], frame.exposureMs);
    return estimate;
  }

  /** Keeps the glass an estimate or a run saw near focus, for a white reference made of it (fromGlass). */
  private sawGlass(glass: ReadonlyArray<GlassInView | null | undefined>, exposureMs: number): void {
    const seen = glass.filter((g): g is GlassInView => !!g);
    if (!seen.length) return;
    this.glassSighting = { glass: seen, exposureMs, camera: cameraLabel(this.o.hardware().camera.info()) };
  }

  /**
   * The glass last seen near focus (a live estimate, or the frames of the last run that saw any) as the white
   * reference, saved with the settings: what a hint about the glass in view offers, without moving to blank glass.
   */
  async whiteReferenceFromGlass(): Promise<Settings> {
    const camera = cameraLabel(this.o.hardware().camera.info());
    return this.setSettings({ whiteReference: referenceFromSighting(this.glassSighting, camera) });
  }

  /**
   * Snap the field as the camera's white reference (blank glass: an empty area of the slide), with the exposure set
   * for the glass unless told not to, and save it with the settings; refused with what to do when the field shows
   * sample, clips at every exposure tried, or is dark.
   */
  async takeWhiteReference(setExposure = true): Promise<{ settings: Settings; exposure: TakenReference['exposure'] }> {
    const taken = await takeWhiteReference(this.o.hardware().camera, setExposure);
    return { settings: await this.setSettings({ whiteReference: taken.reference }), exposure: taken.exposure };
  }

  /** The saved white reference when it was taken with the camera in use; another camera's would miscolour frames. */
  private whiteReferenceFor(settings: Settings): WhiteReference | null {
    const ref = settings.whiteReference;
    if (!ref) return null;
    const camera = cameraLabel(this.o.hardware().camera.info());
    if (ref.camera === camera) return ref;
    // once per pair: the live map estimates every 2 s
    const pair = `${ref.camera} | ${camera}`;
    if (this.warnedReference !== pair) {
      this.warnedReference = pair;
      logger.warn({ reference: ref.camera, camera }, 'white reference taken with another camera: not used');
    }
    return null;
  }

  /** A whole run (the body of the autofocus.run task). Never throws for no-content, mismatch, no model or stage errors. */
  async run(
    input: { method?: AutofocusMethod; settings?: Partial<Settings> },
    control: RunControl = {},
  ): Promise<AutofocusResult> {
    const settings = AutofocusSettings.parse({ ...(await this.getSettings()), ...(input.settings ?? {}) });
    const method = input.method ?? 'net';
    const hw = this.o.hardware();
    let predictor: DefocusPredictor | null = null;
    if (method === 'net') {
      try {
        predictor = await this.predictorFor(settings.model, settings.allowModelMismatch);
      } catch (err) {
        if (err instanceof AutofocusError && (err.code === 'model-mismatch' || err.code === 'no-model')) {
          const z = await hw.zStage.position().catch(() => NaN);
          return refused(err.code, err.message, method, z);
        }
        if (err instanceof InferenceError && err.code === 'model-not-found') {
          const z = await hw.zStage.position().catch(() => NaN);
          return refused('no-model', err.message, method, z);
        }
        throw err;
      }
    }
    const whiteReference = predictor ? this.whiteReferenceFor(settings) : null;
    const trace = await runAutofocus({
      devices: { camera: hw.camera, zStage: hw.zStage },
      settings,
      method,
      estimate: predictor
        ? (frame) =>
            estimateFrame(frame, predictor!, {
              maxPatches: settings.maxPatches,
              whiteReference,
            })
        : undefined,
      ...sideHandling(predictor?.card, settings.toleranceUm),
      // The optics in use; else the optics the model was trained for (a model for another setup is refused above).
      depthOfFieldUm: hw.setup
        ? depthOfFieldUm(hw.setup)
        : predictor?.card
          ? cardDepthOfFieldUm(predictor.card.optics)
          : undefined,
      signal: control.signal,
      onProgress: control.onProgress,
    });
    this.sawGlass(
      trace.estimates.map((e) => e.estimate.glass),
      hw.camera.getExposureMs(),
    );
    const stored = await this.store(trace, predictor, settings, hw, whiteReference);
    return toResult(trace, predictor?.modelId ?? null, stored);
  }

  async history(limit = 200): Promise<AutofocusHistoryRow[]> {
    if (!this.o.dataset) return [];
    return historyRows(this.o.dataset().db, limit);
  }

  private async store(
    trace: RunTrace,
    predictor: DefocusPredictor | null,
    settings: Settings,
    hw: AutofocusHardware,
    whiteReference: WhiteReference | null,
  ): Promise<{ id: number; hard: boolean } | null> {
    if (!this.o.dataset || !Number.isFinite(trace.startZUm) || !Number.isFinite(trace.finalZUm)) return null;
    try {
      const xy = hw.xyStage ? await hw.xyStage.position().catch(() => null) : null;
      return await storeRun(this.o.dataset(), trace, {
        setupId: hw.setupId,
        pixelSizeUm: hw.camera.info().pixelSizeUm,
        card: predictor?.card ?? null,
        slideName: this.o.slideName?.(),
        xUm: xy?.xUm ?? null,
        yUm: xy?.yUm ?? null,
        toleranceUm: settings.toleranceUm,
        whiteReference,
      });
    } catch (err) {
      // The run happened; failing to log it must not turn a focused stage into a failed task.
      logger.warn({ err }, 'autofocus run could not be stored in the dataset');
      return null;
    }
  }
}

function refused(
  code: 'model-mismatch' | 'no-model',
  message: string,
  method: AutofocusMethod,
  z: number,
): AutofocusResult {
  return {
    outcome: code,
    message: message[0].toUpperCase() + message.slice(1),
    method,
    decidedBy: 'none',
    fallbackReason: null,
    startZUm: Number.isFinite(z) ? z : 0,
    finalZUm: Number.isFinite(z) ? z : 0,
    moves: [],
    images: 0,
    estimateUm: null,
    confidence: null,
    residualUm: null,
    regions: null,
    elapsedMs: 0,
    computeMsPerFrame: null,
    modelId: null,
    hardExample: false,
    runId: null,
  };
}

/** The run's hint about the glass in view: from the first frame read near enough to focus to look at it. */
function hintOf(trace: RunTrace): { hint?: string } {
  const hint = trace.estimates.find((e) => e.estimate.hint)?.estimate.hint;
  return hint ? { hint } : {};
}

export function toResult(
  trace: RunTrace,
  modelId: string | null,
  stored: { id: number; hard: boolean } | null,
): AutofocusResult {
  const first = trace.estimates[0]?.estimate;
  const compute = trace.estimates.map((e) => e.estimate.computeMs);
  const finite = (v: number) => (Number.isFinite(v) ? v : 0);
  return {
    outcome: trace.outcome,
    message: trace.message,
    method: trace.method,
    decidedBy: trace.decidedBy,
    fallbackReason: trace.fallbackReason,
    startZUm: finite(trace.startZUm),
    finalZUm: finite(trace.finalZUm),
    moves: trace.moves,
    images: trace.images,
    estimateUm: first?.defocusUm ?? null,
    confidence: first ? first.confidence : null,
    residualUm: trace.residualUm,
    regions: trace.regions,
    elapsedMs: trace.elapsedMs,
    computeMsPerFrame: compute.length ? compute.reduce((a, b) => a + b, 0) / compute.length : null,
    modelId,
    hardExample: stored?.hard ?? false,
    runId: stored?.id ?? null,
    ...hintOf(trace),
  };
}
