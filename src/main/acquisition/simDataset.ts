/**
 * Synthetic dataset generation (`focus-station acquire --sim`): defocus stacks of many virtual slides at many lateral
 * positions, acquired by the ordinary engine from the virtual microscope, with DOMAIN RANDOMISATION of what differs
 * between real microscopes. Per stack, from the seed: the rendering variant of the optics (drawRenderingVariant: NA
 * and condenser sigma within the setup's tolerance, stain colour, phase scale, illumination level and colour,
 * exposure and noise, small tilt, mild spherical aberration) and the slide's true focus (off the plane grid, so the
 * labelling has to refine between planes). Every choice is stored with the stack (render_params) and the
 * simulator's truth with every image (meta.trueDefocusUm), so labels can be checked.
 *
 * One acquisition run per slide. A generation is identified by its settings (slide, setup, seed, grid, range, ROI,
 * randomisation): re-running the same command with `resume` continues its unfinished runs and skips finished ones;
 * without `resume` an existing generation is refused rather than duplicated.
 */
import { createVirtualMicroscope, type VirtualMicroscope } from '../../hardware/sim';
import { drawRenderingVariant, type RenderingVariant } from '../../hardware/optics/randomize';
import { mixSeed, Rng } from '../../hardware/optics/rng';
import { SETUP_PRESETS, type SetupPresetId, type SimOptions } from '../../shared/optics';
import type { AcquisitionProgress } from '../../shared/dataset';
import type { EncodeOptions } from '../dataset/codec';
import type { Dataset } from '../dataset/db';
import { DatasetError } from '../dataset/errors';
import { ensureSetup } from '../dataset/presets';
import { listRuns, type Run } from '../dataset/repo/runs';
import { getOrCreateSlide } from '../dataset/repo/slides';
import { bestFocusShiftUm } from './bestFocus';
import type { AcquisitionControl } from './control';
import { acquire, type AcquireResult, type AcquisitionDevices, type BeforeStackInfo } from './engine';
import type { PlannedPosition } from './plan';
import { sampleKindOf, stainOf, type SimSlide } from './simSlides';

export const SIM_GENERATOR = 'focus-station acquire --sim';
export const SIM_GENERATOR_VERSION = 1;

export interface SimGenerationOptions {
  db: Dataset;
  setupId: SetupPresetId;
  slides: SimSlide[];
  grid: { nx: number; ny: number; stepUm: number };
  range: { fromUm: number; toUm: number; stepUm: number };
  seed: number;
  /** Camera region of interest (px): keeps generation fast (e.g. 896x896). Default: the full sensor. */
  roi?: { width: number; height: number };
  /** Domain randomisation (default true); without it every stack uses the preset optics and camera. */
  randomize?: boolean;
  /** The true focus of each stack is drawn uniformly within +-this of the nominal z0 (um). Default 1.5. */
  focusJitterUm?: number;
  /** Render threads of the virtual microscope (0 = this thread). Default: 2 for frames over 0.5 MP, else 0. */
  renderThreads?: 0 | 1 | 2;
  resume?: boolean;
  onProgress?: (p: SimProgress) => void;
  signal?: AbortSignal;
  control?: AcquisitionControl;
  encode?: EncodeOptions;
}

export interface SimProgress {
  slide: string;
  slideIndex: number;
  nSlides: number;
  /** Planes stored over the whole generation (earlier sessions included) and in total. */
  done: number;
  total: number;
  /** Planes stored by this call: the rate (and so the ETA) is measured on these. */
  doneHere: number;
  totalHere: number;
  acquisition: AcquisitionProgress;
}

export interface SimSlideResult {
  slide: string;
  runId: number | null;
  state: AcquireResult['state'] | 'skipped';
  planesStored: number;
  stacks: number;
}

export interface SimGenerationResult {
  state: 'completed' | 'cancelled' | 'interrupted';
  slides: SimSlideResult[];
  planesStored: number;
  planesTotal: number;
  stacks: number;
}

/** What identifies a generation of one slide (stored in the run's params.sim.key). */
interface SimKey {
  generator: string;
  slide: string;
  slidePath: string;
  setupId: string;
  seed: number;
  randomize: boolean;
  roi: { width: number; height: number } | null;
  focusJitterUm: number;
  grid: SimGenerationOptions['grid'];
  range: SimGenerationOptions['range'];
}

/** The render parameters stored with each synthetic stack. */
export interface SimRenderParams {
  generator: string;
  version: number;
  seed: number;
  stackSeed: number;
  slide: { name: string; path: string; kind: 'stained' | 'unstained' };
  positionIndex: number;
  /** The simulator's true (paraxial) focus for this stack (um, at the field centre). */
  zFocusTrueUm: number;
  /** Where the sharpest image is: the paraxial focus shifted by the spherical aberration's balance (bestFocus.ts). */
  zBestFocusUm: number;
  randomized: boolean;
  roi: { width: number; height: number } | null;
  /** The full rendering variant (drawRenderingVariant): renderVariant() reproduces the optics from it. */
  variant: RenderingVariant | null;
}

function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const planesPerStack = (r: SimGenerationOptions['range']) => Math.floor((r.toUm - r.fromUm) / r.stepUm + 1e-9) + 1;

function keyOf(o: SimGenerationOptions, slide: SimSlide): SimKey {
  return {
    generator: SIM_GENERATOR,
    slide: slide.name,
    slidePath: slide.path,
    setupId: o.setupId,
    seed: o.seed,
    randomize: o.randomize !== false,
    roi: o.roi ?? null,
    focusJitterUm: o.focusJitterUm ?? 1.5,
    grid: o.grid,
    range: o.range,
  };
}

function sameKey(run: Run, key: SimKey): boolean {
  const k = (run.params as { sim?: { key?: SimKey } }).sim?.key;
  if (!k) return false;
  // The slide path may move between machines; the slide name and every setting must match.
  return JSON.stringify({ ...k, slidePath: '' }) === JSON.stringify({ ...key, slidePath: '' });
}

/** Draws (or, on a resume, re-reads) the stack's rendering choices. */
function renderParamsFor(o: SimGenerationOptions, slide: SimSlide, pos: PlannedPosition): SimRenderParams {
  const stackSeed = mixSeed(o.seed, hashName(slide.name), pos.index);
  const rng = new Rng(mixSeed(stackSeed, 0xf0c05));
  const jitter = o.focusJitterUm ?? 1.5;
  const zFocusTrueUm = Math.round(rng.uniform(-jitter, jitter) * 1e6) / 1e6;
  const kind = sampleKindOf(slide);
  const randomized = o.randomize !== false;
  const variant = randomized ? drawRenderingVariant(stackSeed, o.setupId, { kind }) : null;
  const optics = variant?.setup ?? SETUP_PRESETS[o.setupId];
  const shift = bestFocusShiftUm({ ...optics, wavelengthUm: optics.wavelengthsUm.g });
  return {
    generator: SIM_GENERATOR,
    version: SIM_GENERATOR_VERSION,
    seed: o.seed,
    stackSeed,
    slide: { name: slide.name, path: slide.path, kind },
    positionIndex: pos.index,
    zFocusTrueUm,
    zBestFocusUm: Math.round((zFocusTrueUm + shift) * 1e6) / 1e6,
    randomized,
    roi: o.roi ?? null,
    variant,
  };
}

function simOptionsFor(o: SimGenerationOptions, slide: SimSlide, rp: SimRenderParams | null): SimOptions {
  const threads = o.renderThreads ?? ((o.roi ? o.roi.width * o.roi.height : 5e6) > 512 * 512 ? 2 : 0);
  const base: SimOptions = {
    setup: o.setupId,
    slidePath: slide.path,
    sample: { kind: sampleKindOf(slide) },
    roi: o.roi,
    zFocusUm: rp?.zFocusTrueUm ?? 0,
    // Synthetic data needs no realistic timing: moves and settles are instant, the truth is recorded per frame.
    timeScale: 0,
    zSettleMs: 0,
    xySettleMs: 0,
    seed: rp ? mixSeed(rp.stackSeed, 1) : mixSeed(o.seed, hashName(slide.name)),
    renderThreads: threads,
  };
  const v = rp?.variant;
  if (!v) return base;
  return { ...base, setup: v.setup, sample: v.sample, camera: v.camera, tilt: v.tilt, seed: v.noiseSeed };
}

/** The devices the engine drives; the stack hook swaps in each stack's virtual microscope. */
class SimRig {
  vm: VirtualMicroscope | null = null;
  readonly devices = {} as AcquisitionDevices;
  private key: number | null = null;

  /** Switches to a microscope built from `options`; `key` (the stack seed) skips a rebuild of the same one. */
  async use(options: SimOptions, key: number | null = null): Promise<void> {
    if (key !== null && key === this.key && this.vm) return;
    this.key = key;
    const next = await createVirtualMicroscope(options);
    const old = this.vm;
    this.vm = next;
    this.devices.camera = next.camera;
    this.devices.z = next.zStage;
    this.devices.xy = next.xyStage;
    await old?.dispose();
  }

  async dispose(): Promise<void> {
    await this.vm?.dispose();
    this.vm = null;
  }
}

function existingRun(o: Pick<SimGenerationOptions, 'db'>, key: SimKey): Run | undefined {
  const runs = listRuns(o.db.db, 'acquisition').filter((r) => sameKey(r, key));
  return runs[runs.length - 1];
}

/** Checks that can refuse a generation before anything is written (also run by generateSimDataset). */
export function simPreflight(
  o: Pick<SimGenerationOptions, 'db' | 'setupId' | 'slides' | 'resume'> & Parameters<typeof keyOf>[0],
): (Run | undefined)[] {
  if (!(o.setupId in SETUP_PRESETS)) throw new DatasetError('bad-input', `unknown setup ${o.setupId} (20x, 40x)`);
  const existing = o.slides.map((sl) => existingRun(o, keyOf(o, sl)));
  if (!o.resume) {
    const dup = existing.findIndex((r) => r !== undefined);
    if (dup >= 0) {
      const r = existing[dup]!;
      throw new DatasetError(
        'duplicate',
        `slide ${o.slides[dup].name} was already generated with these settings (seed ${o.seed}, run ${r.id}, ${r.state}); use another seed, or resume to continue unfinished runs`,
      );
    }
  }
  return existing;
}

export async function generateSimDataset(o: SimGenerationOptions): Promise<SimGenerationResult> {
  const existing = simPreflight(o);
  const setup = ensureSetup(o.db.db, o.setupId);
  const nPlanes = planesPerStack(o.range);
  const perSlide = nPlanes * o.grid.nx * o.grid.ny;
  const keys = o.slides.map((s) => keyOf(o, s));
  const stored = existing.map((r) => (r ? r.planesDone : 0));
  const total = perSlide * o.slides.length;
  const totalHere = total - existing.reduce((a, r, i) => a + (r?.state === 'completed' ? perSlide : stored[i]), 0);
  let doneBefore = existing.reduce((a, r, i) => a + (r?.state === 'completed' ? perSlide : stored[i]), 0);
  let doneHere = 0;
  const results: SimSlideResult[] = [];
  const rig = new SimRig();
  try {
    for (const [i, slide] of o.slides.entries()) {
      const prior = existing[i];
      if (prior?.state === 'completed') {
        results.push({
          slide: slide.name,
          runId: prior.id,
          state: 'skipped',
          planesStored: perSlide,
          stacks: o.grid.nx * o.grid.ny,
        });
        continue;
      }
      if (o.signal?.aborted) break;
      const slideRow = getOrCreateSlide(o.db.db, {
        name: slide.name,
        sample: sampleKindOf(slide) === 'unstained' ? 'unstained cells' : 'tissue section',
        stain: stainOf(slide),
        notes: `virtual microscope slide ${slide.path}`,
      });
      // The first stack's microscope serves the run's start-up checks too (a new run starts at position 0).
      const first = o.randomize !== false ? renderParamsFor(o, slide, { index: 0, xUm: 0, yUm: 0 }) : null;
      await rig.use(simOptionsFor(o, slide, first), first?.stackSeed ?? null);
      const beforeStack = async (pos: PlannedPosition, info: BeforeStackInfo) => {
        const rp = (info.renderParams as SimRenderParams | null) ?? renderParamsFor(o, slide, pos);
        if (rp.variant) await rig.use(simOptionsFor(o, slide, rp), rp.stackSeed);
        else rig.vm!.setFocusUm(rp.zFocusTrueUm);
        return rp as unknown as Record<string, unknown>;
      };
      const startDone = prior ? prior.planesDone : 0;
      const res = await acquire({
        db: o.db,
        devices: rig.devices,
        beforeStack,
        signal: o.signal,
        control: o.control,
        encode: o.encode,
        ...(prior
          ? { resumeRunId: prior.id, reopenCancelled: true }
          : {
              params: {
                slideId: slideRow.id,
                setupId: setup.id,
                z0Um: 0,
                range: o.range,
                grid: { ...o.grid, originXUm: 0, originYUm: 0 },
                overshootUm: 2,
                source: 'sim' as const,
                notes: `synthetic: ${SIM_GENERATOR}`,
                sim: { key: keys[i] },
              },
            }),
        onProgress: (a) => {
          const here = a.done - startDone;
          o.onProgress?.({
            slide: slide.name,
            slideIndex: i,
            nSlides: o.slides.length,
            done: doneBefore + a.done - startDone,
            total,
            doneHere: doneHere + here,
            totalHere,
            acquisition: a,
          });
        },
      });
      const added = res.planesStored - startDone;
      doneBefore += added;
      doneHere += added;
      results.push({
        slide: slide.name,
        runId: res.runId,
        state: res.state,
        planesStored: res.planesStored,
        stacks: res.stacks.length,
      });
      if (res.state !== 'completed') break;
    }
  } finally {
    await rig.dispose();
  }
  const last = results[results.length - 1];
  const state =
    results.length === o.slides.length && results.every((r) => r.state === 'completed' || r.state === 'skipped')
      ? 'completed'
      : last?.state === 'interrupted' || last?.state === 'failed'
        ? 'interrupted'
        : 'cancelled';
  return {
    state,
    slides: results,
    planesStored: results.reduce((a, r) => a + r.planesStored, 0),
    planesTotal: total,
    stacks: results.reduce((a, r) => a + r.stacks, 0),
  };
}
