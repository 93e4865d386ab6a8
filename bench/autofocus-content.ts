/**
 * Measurements behind the content filter's thresholds (src/main/autofocus/content.ts), `npm run bench:autofocus --
 * --content`: the per-tile measures (contrast, structure, saturated fraction, mean) on
 *   - tissue: every slide of the shared slide folder at -10..+10 um on the virtual microscope (20x, 672x672 frames);
 *     a tile "has content" when its in-focus twin passes the filter, and the question is whether it still passes
 *     out of focus (recall vs defocus);
 *   - blank glass (a white slide, full sensor, so the vignetted corners are in), over-exposed frames (clipped), dark
 *     frames, pure noise (uniform and Gaussian), a frame of camera noise only (very short exposure);
 *   - the real wafer stack (../shared/data/real-stacks, 0.286 um/px JPEGs resampled to 0.1725 um/px), by |d|.
 * Prints percentiles per class and the verdicts under the current thresholds.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appRoot } from '../src/main/paths';
import sharp from 'sharp';
import { createVirtualMicroscope } from '../src/hardware/sim';
import type { Frame } from '../src/hardware/types';
import {
  contentVerdict,
  DEFAULT_CONTENT_THRESHOLDS,
  measureContent,
  type ContentVerdict,
  type PatchContent,
} from '../src/main/autofocus/content';
import { readImageFrame } from '../src/main/autofocus/image-file';
import { mulberry32 } from '../src/main/autofocus/random';
import { patchPositions, prepareFrame, type PreprocessSpec } from '../src/main/inference/preprocess';
import { samplePixelSizeUm, SETUP_PRESETS } from '../src/shared/optics';

const SLIDES = path.resolve(appRoot(), '..', 'shared', 'data', 'slides');
const WAFER = path.resolve(appRoot(), '..', 'shared', 'data', 'real-stacks', 'wafer-reflected');
const PIXEL = samplePixelSizeUm(SETUP_PRESETS['20x']);
const SPEC: PreprocessSpec = {
  width: 224,
  height: 224,
  channels: ['R', 'G', 'B'],
  mean: [0.5, 0.5, 0.5],
  std: [0.25, 0.25, 0.25],
  pixelSizeUm: PIXEL,
};
const DEFOCI = [-10, -6, -3, 0, 3, 6, 10];

async function tiles(frame: Frame): Promise<PatchContent[]> {
  const prepared = await prepareFrame(frame, SPEC);
  const { positions } = patchPositions(prepared);
  return measureContent(prepared.image, prepared.fullScale, positions, 224, 224);
}

function pct(values: number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round((s.length - 1) * q)))];
}

interface ClassStats {
  name: string;
  tiles: number;
  contrast: number[];
  structure: number[];
  saturated: number[];
  mean: number[];
  verdicts: Record<ContentVerdict, number>;
}

function stats(name: string, t: PatchContent[]): ClassStats {
  const verdicts: Record<ContentVerdict, number> = { content: 0, blank: 0, noise: 0, saturated: 0, dark: 0 };
  for (const c of t) verdicts[contentVerdict(c)]++;
  return {
    name,
    tiles: t.length,
    contrast: [0.01, 0.05, 0.5, 0.95, 0.99].map((q) =>
      pct(
        t.map((c) => c.contrast),
        q,
      ),
    ),
    structure: [0.01, 0.05, 0.5, 0.95, 0.99].map((q) =>
      pct(
        t.map((c) => c.structure),
        q,
      ),
    ),
    saturated: [0.5, 0.95].map((q) =>
      pct(
        t.map((c) => c.saturated),
        q,
      ),
    ),
    mean: [0.05, 0.5, 0.95].map((q) =>
      pct(
        t.map((c) => c.mean),
        q,
      ),
    ),
    verdicts,
  };
}

function synthetic(width: number, height: number, value: (rng: () => number) => number, seed: number): Frame {
  const rng = mulberry32(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(255, Math.round(value(rng))));
    data.fill(v, i * 3, i * 3 + 3);
  }
  return { width, height, channels: 3, bitDepth: 8, data, pixelSizeUm: PIXEL, exposureMs: 10, timestamp: Date.now() };
}

async function simFrames(
  slidePath: string,
  defoci: number[],
  opts: { roi?: { width: number; height: number }; exposureMs?: number; xy?: [number, number] } = {},
): Promise<Frame[]> {
  const vm = await createVirtualMicroscope({
    setup: '20x',
    slidePath,
    roi: opts.roi ?? { width: 672, height: 672 },
    timeScale: 0,
    zFocusUm: 0,
    seed: 4,
    renderThreads: 2,
  });
  try {
    if (opts.exposureMs !== undefined) await vm.camera.setExposureMs(opts.exposureMs);
    if (opts.xy) await vm.xyStage.moveTo({ xUm: opts.xy[0], yUm: opts.xy[1] });
    const out: Frame[] = [];
    for (const d of defoci) {
      await vm.zStage.moveTo(d);
      out.push(await vm.camera.snap());
    }
    return out;
  } finally {
    await vm.dispose();
  }
}

export async function runContentBench(o: { json: boolean }): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const classes: ClassStats[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'af-content-'));
  const white = path.join(tmp, 'white.png');
  await sharp({ create: { width: 512, height: 512, channels: 3, background: { r: 250, g: 250, b: 250 } } })
    .png()
    .toFile(white);
  const tissueSlide = path.join(SLIDES, 'HE_tcga_lung.png');

  log('blank glass (full sensor), clipped, dark, camera noise...');
  classes.push(
    stats(
      'blank glass, in focus and 5 um off (full sensor)',
      (await Promise.all((await simFrames(white, [0, 5], { roi: { width: 2448, height: 2048 } })).map(tiles))).flat(),
    ),
  );
  classes.push(
    stats(
      'tissue over-exposed x20 (clipped)',
      (await Promise.all((await simFrames(tissueSlide, [0, 4], { exposureMs: 200 })).map(tiles))).flat(),
    ),
  );
  classes.push(
    stats(
      'glass over-exposed x3',
      (await Promise.all((await simFrames(white, [0], { exposureMs: 30 })).map(tiles))).flat(),
    ),
  );
  classes.push(
    stats(
      'dark (exposure 0.02 ms)',
      (await Promise.all((await simFrames(tissueSlide, [0, 3], { exposureMs: 0.02 })).map(tiles))).flat(),
    ),
  );
  classes.push(stats('uniform noise 0..255', await tiles(synthetic(1344, 896, (r) => r() * 256, 1))));
  classes.push(
    stats(
      'gaussian noise 128 +- 25',
      await tiles(
        synthetic(
          1344,
          896,
          (r) => 128 + 25 * Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r()),
          2,
        ),
      ),
    ),
  );
  classes.push(
    stats(
      'gaussian noise 200 +- 6 (noisy glass)',
      await tiles(
        synthetic(
          1344,
          896,
          (r) => 200 + 6 * Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r()),
          3,
        ),
      ),
    ),
  );

  // Tissue: recall of in-focus content tiles across defocus, per slide.
  const slides = fs
    .readdirSync(SLIDES)
    .filter((n) => /\.png$/i.test(n))
    .sort();
  const byDefocus = new Map<number, PatchContent[]>();
  const recall = new Map<number, { kept: number; of: number }>();
  const perSlide: { slide: string; contentTiles: number; tiles: number; worstRecall: number }[] = [];
  for (const name of slides) {
    log(`tissue ${name}...`);
    const frames = await simFrames(path.join(SLIDES, name), DEFOCI);
    const measured = await Promise.all(frames.map(tiles));
    const focusIndex = DEFOCI.indexOf(0);
    const hasContent = measured[focusIndex].map((c) => contentVerdict(c) === 'content');
    let worst = 1;
    DEFOCI.forEach((d, k) => {
      const kept = measured[k].filter((c, i) => hasContent[i] && contentVerdict(c) === 'content').length;
      const of = hasContent.filter(Boolean).length;
      const r = recall.get(d) ?? { kept: 0, of: 0 };
      recall.set(d, { kept: r.kept + kept, of: r.of + of });
      if (of) worst = Math.min(worst, kept / of);
      byDefocus.set(d, [...(byDefocus.get(d) ?? []), ...measured[k].filter((_, i) => hasContent[i])]);
    });
    perSlide.push({
      slide: name,
      contentTiles: hasContent.filter(Boolean).length,
      tiles: hasContent.length,
      worstRecall: worst,
    });
  }
  for (const d of DEFOCI)
    classes.push(stats(`tissue (content in focus) at ${d >= 0 ? '+' : ''}${d} um`, byDefocus.get(d) ?? []));

  // The real wafer stack: every tile, by |d|.
  const wafer: { d: number; tiles: PatchContent[] }[] = [];
  if (fs.existsSync(WAFER)) {
    log('wafer stack...');
    for (const f of fs.readdirSync(WAFER).filter((n) => n.endsWith('.jpeg'))) {
      const d = Number(f.replace(/^ix\d+_iy\d+_/, '').replace(/\.jpeg$/, ''));
      wafer.push({ d, tiles: await tiles(await readImageFrame(path.join(WAFER, f), 0.286)) });
    }
    for (const [lo, hi] of [
      [0, 2],
      [2, 15],
      [15, 35],
      [35, 60],
    ]) {
      const t = wafer.filter((w) => Math.abs(w.d) >= lo && Math.abs(w.d) < hi).flatMap((w) => w.tiles);
      if (t.length) classes.push(stats(`wafer (real, JPEG) |d| ${lo}..${hi} um`, t));
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });

  const report = {
    thresholds: DEFAULT_CONTENT_THRESHOLDS,
    classes,
    tissueRecall: DEFOCI.map((d) => ({
      defocusUm: d,
      ...recall.get(d)!,
      recall: recall.get(d)!.kept / Math.max(1, recall.get(d)!.of),
    })),
    perSlide,
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '—');
  const out = [
    `thresholds: ${JSON.stringify(DEFAULT_CONTENT_THRESHOLDS)}`,
    '',
    `${'class'.padEnd(46)} tiles  contrast p1/p5/p50/p95/p99          structure p1/p5/p50/p95/p99        sat p50/p95  mean p5/p50/p95   verdicts`,
    ...classes.map(
      (c) =>
        `${c.name.padEnd(46)} ${String(c.tiles).padStart(5)}  ${c.contrast
          .map((v) => f(v))
          .join('/')
          .padEnd(36)} ${c.structure
          .map((v) => f(v, 2))
          .join('/')
          .padEnd(34)} ${c.saturated
          .map((v) => f(v, 2))
          .join('/')
          .padEnd(12)} ${c.mean
          .map((v) => f(v, 2))
          .join('/')
          .padEnd(16)} ${Object.entries(c.verdicts)
          .filter(([, n]) => n)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}`,
    ),
    '',
    `tissue recall (tiles with content in focus that still pass): ${report.tissueRecall.map((r) => `${r.defocusUm}: ${(100 * r.recall).toFixed(1)}%`).join('  ')}`,
    `slides with the lowest recall: ${perSlide
      .sort((a, b) => a.worstRecall - b.worstRecall)
      .slice(0, 5)
      .map((s) => `${s.slide} ${(100 * s.worstRecall).toFixed(0)}% (${s.contentTiles}/${s.tiles} content tiles)`)
      .join(', ')}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
