/**
 * Single-shot estimate of one frame: resample to the model's pixel size, tile into the model's input size, keep the
 * tiles with focusable content (content.ts), infer the best of them in ONE batched run, combine (combine.ts).
 *
 * The time budget (<= 150 ms for a 2592x1944 frame on 2 cores, README.md) is held by inferring at most `maxPatches`
 * tiles: LDSE-NET costs 2-4 ms per patch there, and a 5 MP frame has ~88 tiles.
 */
import type { Frame } from '../../hardware/types';
import {
  DEFAULT_AUTOFOCUS_SETTINGS,
  type Estimate,
  type GlassInView,
  type PatchPrediction,
  type WhiteReference,
} from '../../shared/autofocus';
import type { ModelCard } from '../../shared/model-card';
import type { InferenceEngine, ModelInfo } from '../inference';
import {
  packPatches,
  patchPositions,
  prepareFrame,
  preprocessSpecOf,
  type PatchPosition,
  type PreparedFrame,
  type PreprocessSpec,
} from '../inference/preprocess';
import {
  combineMagnitudeAndSide,
  combineSigned,
  confidenceOf,
  minPatchesFor,
  regionMap,
  regionOf,
  selectPatches,
  type Candidate,
} from './combine';
import {
  contentScore,
  contentVerdict,
  DEFAULT_CONTENT_THRESHOLDS,
  measureContent,
  mostCommonRefusal,
  noContentReason,
  type ContentThresholds,
} from './content';
import { guessesSide } from './side';
import { glassHint, glassInView, GLASS_NEAR_FOCUS_UM } from './glass-in-view';
import { balancedTiles, isUnity, whiteGains } from './white-reference';

export interface PredictRequest {
  frame: Frame;
  prepared: PreparedFrame;
  /** The tiles to predict, in the prepared image's pixels. */
  positions: PatchPosition[];
}

/** Whatever turns tiles into defocus values: the ONNX model, or a stub in tests. */
export interface DefocusPredictor {
  readonly modelId: string;
  readonly spec: PreprocessSpec;
  readonly card?: ModelCard;
  /** One defocus (um) per requested tile, in order. */
  predict(request: PredictRequest): Promise<ArrayLike<number>>;
}

/** The ONNX model on the inference engine: the tiles are packed and sent in one batch. */
export class OnnxPredictor implements DefocusPredictor {
  readonly modelId: string;
  readonly spec: PreprocessSpec;
  readonly card: ModelCard;

  constructor(
    private readonly engine: InferenceEngine,
    info: ModelInfo,
  ) {
    this.modelId = info.id;
    this.card = info.card;
    this.spec = preprocessSpecOf(info.card);
  }

  async predict({ prepared, positions }: PredictRequest): Promise<Float32Array> {
    const batch = packPatches(prepared, positions);
    return this.engine.predict(this.modelId, batch, positions.length, { transfer: true });
  }
}

/** The fields of an estimate that found nothing to predict from. */
function noContent(reason: string, t0: number, refusedAs?: Estimate['refusedAs']) {
  return {
    refusedAs,
    status: 'no-content' as const,
    defocusUm: null,
    confidence: 0,
    spreadUm: null,
    patchesUsed: 0,
    regions: EMPTY_MAP(),
    patches: [],
    reason: `no focusable content: ${reason}`,
    computeMs: performance.now() - t0,
  };
}

export interface EstimateOptions {
  maxPatches?: number;
  thresholds?: ContentThresholds;
  /** The camera's view of blank glass (white-reference.ts): the frame is balanced to the models' glass; none = as it comes. */
  whiteReference?: WhiteReference | null;
}

const EMPTY_MAP = (): Estimate['regions'] => [
  [null, null, null],
  [null, null, null],
  [null, null, null],
];

export async function estimateFrame(
  frame: Frame,
  predictor: DefocusPredictor,
  options: EstimateOptions = {},
): Promise<Estimate> {
  const t0 = performance.now();
  const maxPatches = options.maxPatches ?? DEFAULT_AUTOFOCUS_SETTINGS.maxPatches;
  const thresholds = options.thresholds ?? DEFAULT_CONTENT_THRESHOLDS;
  const prepared = await prepareFrame(frame, predictor.spec);
  const { positions } = patchPositions(prepared);
  const { width: tw, height: th } = predictor.spec;
  const content = measureContent(prepared.image, prepared.fullScale, positions, tw, th);
  const verdicts = content.map((c) => contentVerdict(c, thresholds));
  const candidates: Candidate[] = [];
  positions.forEach((p, i) => {
    if (verdicts[i] !== 'content') return;
    const region = regionOf(p.frameX + p.frameWidth / 2, p.frameY + p.frameHeight / 2, frame.width, frame.height);
    candidates.push({ index: i, region, score: contentScore(content[i]) });
  });
  const base = {
    modelId: predictor.modelId,
    patchesTotal: positions.length,
    patchesKept: candidates.length,
    frameWidth: frame.width,
    frameHeight: frame.height,
  };
  if (positions.length === 0 || candidates.length < minPatchesFor(positions.length)) {
    const reason =
      positions.length === 0
        ? `the frame (${frame.width}x${frame.height} px) is smaller than half a ${tw}x${th} patch at the model's pixel size (a smaller part of a patch is mirror-padded to one)`
        : noContentReason(verdicts);
    const refusedAs = positions.length === 0 ? undefined : mostCommonRefusal(verdicts);
    return {
      ...base,
      ...noContent(`${reason} (${candidates.length} of ${positions.length} patches usable)`, t0, refusedAs),
    };
  }
  const chosen = selectPatches(candidates, maxPatches);
  const regionOfIndex = new Map(candidates.map((c) => [c.index, c.region]));
  const chosenPositions = chosen.map((i) => positions[i]);
  const raw = await predictor.predict(
    balanced({ frame, prepared, positions: chosenPositions }, options.whiteReference),
  );
  const patches: PatchPrediction[] = [];
  chosenPositions.forEach((p, k) => {
    const d = Number(raw[k]);
    if (!Number.isFinite(d)) return; // a model that emits NaN for a tile loses the tile, not the frame
    patches.push({
      x: round2(p.frameX),
      y: round2(p.frameY),
      width: round2(p.frameWidth),
      height: round2(p.frameHeight),
      region: regionOfIndex.get(chosen[k])!,
      defocusUm: d,
    });
  });
  if (patches.length === 0) {
    return { ...base, ...noContent('the model gave no finite prediction for any patch', t0) };
  }
  const values = patches.map((p) => p.defocusUm);
  const { defocusUm, spreadUm } = (guessesSide(predictor.card) ? combineMagnitudeAndSide : combineSigned)(values);
  // A frame mirror-padded to one patch is read with less of its own content: as much less confidence.
  const confidence =
    confidenceOf({
      n: values.length,
      spreadUm,
      defocusUm,
      keptFraction: candidates.length / positions.length,
    }) * (prepared.padding?.coverage ?? 1);
  return {
    ...base,
    // Without a white reference, the glass between the sample tells whether one is needed.
    ...(options.whiteReference
      ? {}
      : glassSeen(defocusUm, () =>
          glassInView(prepared.image, prepared.fullScale, positions, tw, th, content, verdicts),
        )),
    status: 'ok',
    defocusUm,
    confidence,
    spreadUm,
    patchesUsed: patches.length,
    regions: regionMap(patches),
    patches,
    computeMs: performance.now() - t0,
  };
}

/**
 * The glass in view and its hint, for a frame read within GLASS_NEAR_FOCUS_UM of focus (looked for only then). Further out, stained sample
 * blurs into blank tiles as bright as the sample in focus: at 40x a frame 9.6 um out showed "glass" of linear 0.34 /
 * 0.12 / 0.18 (eosin), and the hint would have called the camera's glass dimmer and redder.
 */
function glassSeen(defocusUm: number | null, find: () => GlassInView | null) {
  if (defocusUm === null || !(Math.abs(defocusUm) <= GLASS_NEAR_FOCUS_UM)) return {};
  const glass = find();
  if (!glass) return {};
  const hint = glassHint(glass);
  return hint ? { glass, hint } : { glass };
}

/**
 * The tiles the model reads, balanced by the white reference at the frame's exposure. The content filter has read
 * the frame as the camera gave it: its thresholds were set on camera frames, and a dark frame stays dark (noisy)
 * whatever the gain.
 */
function balanced(request: PredictRequest, reference: WhiteReference | null | undefined): PredictRequest {
  if (!reference) return request;
  const gains = whiteGains(reference, request.frame.exposureMs);
  if (isUnity(gains)) return request;
  const { prepared, positions } = request;
  const { width, height } = prepared.spec;
  const strip = balancedTiles(prepared.image, prepared.fullScale, gains, positions, width, height);
  return { ...request, prepared: { ...prepared, image: strip.image }, positions: strip.tiles };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
