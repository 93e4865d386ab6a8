import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { basename, dirname, resolve } from 'node:path';
import type { Estimate, GlassInView, RegionMap, WhiteReference } from '../../../shared/autofocus';
import { DEFAULT_AUTOFOCUS_SETTINGS, formatSignedUm } from '../../../shared/autofocus';
import type { ModelCard } from '../../../shared/model-card';
import {
  bridgesPixelRatio,
  cameraOf,
  formatOptic,
  PREDICT_MAX_PIXEL_RATIO,
  preferenceRank,
  type ModelCamera as Camera,
} from '../../autofocus/compat';
import { fileCalibration, type FileCalibration } from '../../autofocus/file-calibration';
import { estimateFrame, OnnxPredictor } from '../../autofocus/estimate';
import { isUnity, measureWhiteReference, whiteGains } from '../../autofocus/white-reference';
import { referenceFromGlass } from '../../autofocus/glass-in-view';
import { DATA_BITS, dataBitsOfFile, imagePages, isMonochrome, readImageFrame } from '../../autofocus/image-file';
import type { Frame } from '../../../hardware/types';
import { loadSettings, settingsPath } from '../../autofocus/settings';
import { InferenceEngine, ModelRegistry, readModelCard, type ModelEntry } from '../../inference';
import { dataDir, shippedModelsDir, userModelsDir } from '../../paths';
import { CliError, describeError, printJson } from '../context';

interface PredictOptions {
  model?: string;
  pixelSize?: string;
  maxPatches?: string;
  bitDepth?: string;
  encoding?: string;
  whiteReference?: string;
  allowMismatch?: boolean;
  json?: boolean;
}

/**
 * The model: --model; else, for images of a known pixel size (--pixel-size, or the file's own calibration), the saved
 * autofocus model if it suits them and their camera, else the model made for the nearest pixel size (so
 * `--pixel-size 0.055` reads 40x images with the 40x model instead of refusing them for the 20x one); else the saved
 * setting, else the registry's (ldse-net-20x first). Monochrome images go to a model made for a monochrome camera
 * where one suits them (card input.camera).
 */
async function chooseModel(
  registry: ModelRegistry,
  requested: string | undefined,
  pixelSizeUm: number | undefined,
  camera: Camera = 'colour',
): Promise<string> {
  if (requested) return requested;
  const saved = (await loadSettings(settingsPath(dataDir()))).settings.model;
  const valid = (await registry.list({ verifyFiles: false })).filter((e) => e.valid && e.card);
  if (pixelSizeUm !== undefined && Number.isFinite(pixelSizeUm) && pixelSizeUm > 0) {
    const savedEntry = valid.find((e) => e.id === saved);
    if (savedEntry && suits(savedEntry.card!, pixelSizeUm) && cameraOf(savedEntry.card!) === camera) {
      return savedEntry.id;
    }
    const nearest = nearestForPixelSize(valid, pixelSizeUm, camera);
    if (nearest) return nearest;
  }
  if (saved) return saved;
  const rank = (id: string, card: ModelCard) => preferenceRank(id, card, 'ldse-net-20x', camera);
  valid.sort((a, b) => rank(a.id, a.card!) - rank(b.id, b.card!));
  if (!valid.length) {
    throw new CliError(`no model found in ${registry.dirs.join(', ')}: pass --model <id|path to .onnx or card>`, 2);
  }
  return valid[0].id;
}

/** Images of this pixel size are within what resampling bridges for the model. */
function suits(card: ModelCard, pixelSizeUm: number): boolean {
  return bridgesPixelRatio(pixelSizeUm / card.optics.pixel_size_um, PREDICT_MAX_PIXEL_RATIO);
}

/**
 * The model for images of this pixel size: among those it suits, a signed LDSE-NET before other architectures and
 * magnitude models, then one made for the images' camera, then the nearest pixel size; when it suits none, the
 * nearest (its mismatch is then reported).
 */
export function nearestForPixelSize(
  entries: ReadonlyArray<Pick<ModelEntry, 'id' | 'card'>>,
  pixelSizeUm: number,
  camera: Camera = 'colour',
): string | null {
  const distance = (card: ModelCard) => Math.abs(Math.log(pixelSizeUm / card.optics.pixel_size_um));
  const kind = (card: ModelCard) =>
    (card.architecture === 'ldse-net' ? 0 : 2) + (card.output.target === 'signed' ? 0 : 1);
  const withCards = entries.filter((e): e is { id: string; card: ModelCard } => e.card !== undefined);
  const suited = withCards.filter((e) => suits(e.card, pixelSizeUm));
  const pool = suited.length ? suited : withCards;
  const sorted = [...pool].sort(
    (a, b) =>
      (suited.length ? kind(a.card) - kind(b.card) : 0) ||
      (suited.length ? Number(cameraOf(a.card) !== camera) - Number(cameraOf(b.card) !== camera) : 0) ||
      distance(a.card) - distance(b.card) ||
      a.id.localeCompare(b.id),
  );
  return sorted[0]?.id ?? null;
}

/** Where an image's pixel size comes from: --pixel-size, else the file's calibration, else the model's own. */
function pixelScale(
  card: ModelCard,
  givenPixelUm: number | undefined,
  calibration: FileCalibration | undefined,
): { pixelSizeUm: number; from: string } {
  if (givenPixelUm !== undefined) return { pixelSizeUm: givenPixelUm, from: '--pixel-size' };
  if (calibration) return { pixelSizeUm: calibration.pixelSizeUm, from: calibration.source };
  return { pixelSizeUm: card.optics.pixel_size_um, from: 'model' };
}

function pixelMismatch(card: ModelCard, pixelSizeUm: number): string {
  const ratio = pixelSizeUm / card.optics.pixel_size_um;
  return `pixel size ${formatOptic(pixelSizeUm)} um vs the model's ${formatOptic(card.optics.pixel_size_um)} um (x${ratio.toFixed(2)}, beyond the x${PREDICT_MAX_PIXEL_RATIO} resampling bridges); pick a model for this magnification or pass --allow-mismatch`;
}

function regionText(regions: RegionMap): string[] {
  return regions.map((row) =>
    row.map((v) => (v === null ? '   —   ' : formatSignedUm(v, 2).replace(' um', '').padStart(7))).join(' '),
  );
}

function jsonLine(file: string, e: Estimate, target: 'signed' | 'magnitude'): Record<string, unknown> {
  return {
    file,
    defocus_um: e.defocusUm,
    confidence: e.confidence,
    patches_used: e.patchesUsed,
    patches_total: e.patchesTotal,
    regions: e.regions,
    patches_kept: e.patchesKept,
    spread_um: e.spreadUm,
    status: e.status,
    ...(e.reason ? { reason: e.reason } : {}),
    ...(e.glass ? { glass: { rgb: e.glass.rgb, tiles: e.glass.tiles, gains: e.glass.gains } } : {}),
    ...(e.hint ? { hint: e.hint } : {}),
    model: e.modelId,
    /** "magnitude": defocus_um is |d|, the side of focus is unknown from one image. */
    target,
    compute_ms: Math.round(e.computeMs * 10) / 10,
  };
}

/**
 * A bar with an ETA over the files on a terminal's stderr: the estimates are printed once the pass(es) end, so many
 * files would otherwise show nothing for minutes. None when stderr is not a terminal (scripts, logs).
 */
function filesBar(total: number, label: string): cliProgress.SingleBar | null {
  if (!process.stderr.isTTY || total < 2) return null;
  const bar = new cliProgress.SingleBar(
    { format: ` ${label} {bar} {value}/{total} files | ETA {eta_formatted}`, hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}

/**
 * Which images share a camera, for `--white-reference auto`: those in one folder with the same size, channels and bit
 * depth. Stacks from several microscopes in one call then get a reference each, as long as each has its folder.
 */
function cameraOfImage(image: string, frame: Frame): string {
  return `in ${dirname(resolve(image))}|${frame.width}x${frame.height}|${frame.channels === 1 ? 'grey' : 'RGB'}|${frame.bitDepth}-bit`;
}

/** `--white-reference`: the glass image read as the images are (bit depth, encoding); refused with the reason. */
async function readWhiteReference(
  file: string,
  bits: number | undefined,
  encoding: 'srgb' | 'linear' | undefined,
): Promise<WhiteReference> {
  try {
    const frame = await readImageFrame(file, 1, bits, 0);
    return measureWhiteReference(encoding ? { ...frame, encoding } : frame, `file: ${basename(file)}`);
  } catch (err) {
    throw new CliError(`--white-reference ${file}: ${describeError(err).replace(`${file}: `, '')}`, 2);
  }
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description(
      'estimate the defocus of image files with a model (single shot: tiles, content filter, robust combination)',
    )
    .argument(
      '<images...>',
      'image files (PNG, TIFF, JPEG; 8 or 16 bit; greyscale or RGB); a multi-page TIFF gives one estimate per page ("page": 0-based)',
    )
    .option(
      '--model <id|path>',
      'model id or path to its .onnx / card .json (default: for images of a known pixel size, the model for their camera (colour or monochrome) and the nearest pixel size, unless the saved setting suits them; else the saved setting, else the model for their camera, ldse-net-20x first)',
    )
    .option(
      '--pixel-size <um>',
      "um per pixel of the images (default: the file's own calibration, as OME-TIFF, ImageJ and Micro-Manager write it; else the model's, said on stderr: another camera's pixel size read as the model's costs the side of focus)",
    )
    .option('--max-patches <n>', 'most tiles inferred per image (default 16)')
    .option(
      '--bit-depth <bits>',
      'bits the samples of 16-bit images use: 10, 12, 14 or 16 (default: from the brightest sample of each image, since 12-bit cameras store counts up to 4095 in 16-bit files)',
    )
    .option(
      '--encoding <srgb|linear>',
      "how the images' values map to light (default: sRGB for 8-bit images, linear for 16 and 32-bit ones, as scientific cameras write them; the models read sRGB, so linear images go through its curve)",
    )
    .option(
      '--white-reference <image|auto|none>',
      'the glass colour and level the images are balanced by, to the ones the models were trained on (a white LED without white balance, or a dim exposure, otherwise costs them the side of focus): an image of blank glass from the same camera at the same exposure; "auto" (default): the glass the images themselves show between their sample near focus, found in a first pass over all of them (nothing changes when they show none, or it is within the trained range); "none": as they are',
    )
    .option(
      '--allow-mismatch',
      `predict even when the pixel size is more than x${PREDICT_MAX_PIXEL_RATIO} from the model's`,
    )
    .option(
      '--json',
      'one JSON object per line ("balanced_by" when a white reference balanced it; "glass" and "hint" when one read as it is shows glass near focus)',
    )
    .action(async (images: string[], opts: PredictOptions) => {
      const registry = new ModelRegistry([userModelsDir(), shippedModelsDir()]);
      const givenPixelUm = opts.pixelSize === undefined ? undefined : Number(opts.pixelSize);
      if (givenPixelUm !== undefined && !(givenPixelUm > 0 && Number.isFinite(givenPixelUm))) {
        throw new CliError(`--pixel-size must be a positive number of um per pixel, not ${opts.pixelSize}`, 2);
      }
      const defaultRef = await chooseModel(registry, opts.model, givenPixelUm);
      const defaultCard = await readModelCard(await registry.resolve(defaultRef));
      if (givenPixelUm !== undefined && !opts.allowMismatch && !suits(defaultCard, givenPixelUm)) {
        throw new CliError(`model does not match these images: ${pixelMismatch(defaultCard, givenPixelUm)}`, 2);
      }
      const maxPatches =
        opts.maxPatches === undefined ? DEFAULT_AUTOFOCUS_SETTINGS.maxPatches : Number(opts.maxPatches);
      if (!Number.isInteger(maxPatches) || maxPatches < 1)
        throw new CliError(`--max-patches must be a positive integer`, 2);
      const dataBits = opts.bitDepth === undefined ? undefined : Number(opts.bitDepth);
      if (dataBits !== undefined && !(DATA_BITS as readonly number[]).includes(dataBits)) {
        throw new CliError(`--bit-depth must be one of ${DATA_BITS.join(', ')}, not ${opts.bitDepth}`, 2);
      }
      const encoding = opts.encoding;
      if (encoding !== undefined && encoding !== 'srgb' && encoding !== 'linear') {
        throw new CliError(`--encoding must be srgb or linear, not ${encoding}`, 2);
      }
      // Default: the glass the images show (auto); "none" reads them as they are.
      const referenceArg = opts.whiteReference ?? 'auto';
      const autoReference = referenceArg === 'auto';
      const fileReference =
        referenceArg === 'auto' || referenceArg === 'none'
          ? undefined
          : await readWhiteReference(resolve(referenceArg), dataBits, encoding);
      const engine = await InferenceEngine.create({ registry });
      const loaded = new Map<string, Promise<{ predictor: OnnxPredictor; card: ModelCard }>>();
      const predictorFor = (ref: string) => {
        if (!loaded.has(ref)) {
          loaded.set(
            ref,
            (async () => ({
              predictor: new OnnxPredictor(engine, await engine.load(ref)),
              card: await readModelCard(await registry.resolve(ref)),
            }))(),
          );
        }
        return loaded.get(ref)!;
      };
      const chosen = new Map<string, Promise<string>>();
      const modelFor = (pixelSizeUm: number | undefined, camera: Camera) => {
        const key = `${pixelSizeUm}|${camera}`;
        if (!chosen.has(key)) chosen.set(key, chooseModel(registry, undefined, pixelSizeUm, camera));
        return chosen.get(key)!;
      };
      let failed = 0;
      let lastHead = '';
      /**
       * One pass over the images with a white reference (or none): what it would print, in order, and the glass in
       * view it saw. The printing waits, since --white-reference auto may read the images again balanced.
       */
      const pass = async (
        files: string[],
        referenceOf: (camera: string) => WhiteReference | undefined,
        label: string,
      ) => {
        // per file: what it prints, and the cameras its pages came from
        const outOf = new Map<string, Array<() => void>>();
        const camerasOf = new Map<string, Set<string>>();
        const seen = new Map<string, GlassInView[]>();
        // model id -> its pixel size and the images read at it for want of their own
        const assumed = new Map<string, { pixelSizeUm: number; images: number }>();
        const bar = filesBar(files.length, label);
        for (const image of files) {
          bar?.increment();
          const out: Array<() => void> = [];
          const cameras = new Set<string>();
          outOf.set(image, out);
          camerasOf.set(image, cameras);
          // The file's own calibration (OME-XML, ImageJ, Micro-Manager) when --pixel-size does not say it, and
          // its camera (page 0 monochrome or colour): unless --model names one, the model is the one for both.
          const calibration = givenPixelUm === undefined ? await fileCalibration(resolve(image)) : undefined;
          // A multi-page TIFF is a z-stack: one estimate (one JSON line, with "page") per page.
          const pages = await imagePages(resolve(image));
          const bits = dataBits ?? (pages > 1 ? await dataBitsOfFile(resolve(image), pages) : undefined);
          const first: Frame | Error = await readImageFrame(resolve(image), 1, bits, 0).catch((err: unknown) =>
            err instanceof Error ? err : new Error(String(err)),
          );
          const camera: Camera = first instanceof Error || !isMonochrome(first) ? 'colour' : 'monochrome';
          const ref = opts.model ? defaultRef : await modelFor(givenPixelUm ?? calibration?.pixelSizeUm, camera);
          const { predictor, card } = await predictorFor(ref);
          const scale = pixelScale(card, givenPixelUm, calibration);
          // counted once the image is read: an unreadable one has its own error line
          let uncountedAssumption = scale.from === 'model';
          if (!opts.allowMismatch && !suits(card, scale.pixelSizeUm)) {
            out.push(() => {
              failed++;
              process.stderr.write(
                `focus-station predict: ${image}: model does not match this image: ${pixelMismatch(card, scale.pixelSizeUm)} (pixel size from ${scale.from})\n`,
              );
            });
            continue;
          }
          if (!opts.json) {
            const head = `model ${card.id} (${card.optics.setup_id}, ${formatOptic(card.optics.pixel_size_um)} um/px${card.output.target === 'magnitude' ? '; reads |defocus|, not its side' : ''}); images at ${formatOptic(scale.pixelSizeUm)} um/px (${scale.from})\n`;
            out.push(() => {
              if (head !== lastHead) process.stdout.write(head);
              lastHead = head;
            });
          }
          for (let page = 0; page < pages; page++) {
            const name = pages > 1 ? `${image} page ${page + 1}/${pages}` : image;
            let estimate: Estimate;
            let camera = '';
            let whiteReference: WhiteReference | undefined;
            try {
              if (first instanceof Error && page === 0) throw first;
              // page 0 was read to tell the camera; it gets its pixel size now
              const frame =
                page === 0 && !(first instanceof Error)
                  ? { ...first, pixelSizeUm: scale.pixelSizeUm }
                  : await readImageFrame(resolve(image), scale.pixelSizeUm, bits, page);
              camera = cameraOfImage(image, frame);
              cameras.add(camera);
              whiteReference = referenceOf(camera);
              estimate = await estimateFrame(encoding ? { ...frame, encoding } : frame, predictor, {
                maxPatches,
                whiteReference,
              });
            } catch (err) {
              const why = describeError(err).replace(`${resolve(image)}: `, '');
              out.push(() => {
                failed++;
                process.stderr.write(`focus-station predict: ${name}: ${why}\n`);
              });
              continue;
            }
            if (uncountedAssumption) {
              uncountedAssumption = false;
              const a = assumed.get(card.id) ?? { pixelSizeUm: scale.pixelSizeUm, images: 0 };
              assumed.set(card.id, { ...a, images: a.images + 1 });
            }
            if (estimate.glass) seen.set(camera, [...(seen.get(camera) ?? []), estimate.glass]);
            if (opts.json) {
              const line = {
                ...jsonLine(image, estimate, card.output.target),
                ...(whiteReference ? { balanced_by: whiteReference.camera } : {}),
                // as people write it: 0.325, not 1 / XResolution's 0.32499999999999996
                pixel_size_um: Number(scale.pixelSizeUm.toPrecision(6)),
                pixel_size_from: scale.from,
              };
              out.push(() => printJson(pages > 1 ? { ...line, page, pages } : line));
              continue;
            }
            const head =
              estimate.status === 'ok'
                ? `${formatSignedUm(estimate.defocusUm)}  confidence ${estimate.confidence.toFixed(2)}  ${estimate.patchesUsed}/${estimate.patchesTotal} patches (${estimate.patchesKept} with content)`
                : `${estimate.reason}`;
            const hint = estimate.hint ? `  hint: ${estimate.hint} (--white-reference <glass image>)\n` : '';
            const text = `${name}\n  ${head}\n${regionText(estimate.regions)
              .map((l) => `    ${l}`)
              .join('\n')}\n${hint}`;
            out.push(() => process.stdout.write(text));
          }
        }
        bar?.stop();
        return { outOf, camerasOf, seen, assumed };
      };
      try {
        const result = await pass(images, () => fileReference, 'reading');
        // A camera's pixel size other than the model's costs the side of focus (docs/training.md, "Other cameras'
        // pixel sizes": 19 % -> 28 % wrong sides read at the model's instead of a 6.5 um sCMOS's): say it was assumed.
        for (const [id, a] of result.assumed) {
          process.stderr.write(
            `focus-station predict: ${a.images} ${a.images === 1 ? 'image carries' : 'images carry'} no pixel size (no --pixel-size, no calibration in the file): read at ${id}'s ${formatOptic(a.pixelSizeUm)} um/px, which holds only for a camera that gives about that; pass --pixel-size <um/px> (the sensor's pixel over the magnification: 6.5 / 20 = 0.325)\n`,
          );
        }
        if (autoReference) {
          // The glass the images of one camera show near focus, over all of them: they are balanced alike, and read
          // again only when that changes anything.
          const references = new Map<string, WhiteReference>();
          for (const [camera, glass] of result.seen) {
            const reference = referenceFromGlass(glass);
            if (!reference || isUnity(whiteGains(reference, 0))) continue;
            references.set(camera, reference);
            process.stderr.write(
              `focus-station predict: images ${camera.replace(/\|/g, ', ')}: balanced by the glass in view (${glass.length} ${glass.length === 1 ? 'image' : 'images'} near focus, linear ${reference.glassRgb.map((v) => v.toFixed(3)).join(' / ')}); --white-reference none reads them as they are\n`,
            );
          }
          // Only the images of those cameras are read again; the others keep their first reading.
          const again = images.filter((image) => [...result.camerasOf.get(image)!].some((c) => references.has(c)));
          if (again.length) {
            const balanced = await pass(again, (camera) => references.get(camera), 'reading balanced');
            for (const [image, out] of balanced.outOf) result.outOf.set(image, out);
          }
        }
        for (const image of images) for (const print of result.outOf.get(image)!) print();
      } finally {
        await engine.close();
      }
      // Each unreadable file already has its error line on stderr; the exit status says that some failed.
      if (failed > 0) process.exitCode = 1;
    });
}
