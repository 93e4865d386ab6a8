import { describe, expect, it } from 'vitest';
import {
  contentVerdict,
  measureContent,
  noContentReason,
  type PatchContent,
} from '../../../src/main/autofocus/content';
import { patchPositions, prepareFrame } from '../../../src/main/inference/preprocess';
import type { Frame } from '../../../src/hardware/types';
import { blankFrame, darkFrame, halfTissueFrame, noiseFrame, PIXEL_UM, saturatedFrame, tissueFrame } from './frames';

const spec = {
  width: 224,
  height: 224,
  channels: ['R', 'G', 'B'] as const,
  mean: [0.5, 0.5, 0.5] as const,
  std: [0.25, 0.25, 0.25] as const,
  pixelSizeUm: PIXEL_UM,
};

async function contentOf(frame: Frame): Promise<PatchContent[]> {
  const prepared = await prepareFrame(frame, spec);
  const { positions } = patchPositions(prepared);
  return measureContent(prepared.image, prepared.fullScale, positions, 224, 224);
}

async function verdicts(frame: Frame) {
  return (await contentOf(frame)).map((c) => contentVerdict(c));
}

describe('content filter on hand-made frames', () => {
  it('refuses every tile of empty glass, even with vignetting and noise', async () => {
    expect(new Set(await verdicts(blankFrame()))).toEqual(new Set(['blank']));
  });

  it('refuses a clipped frame as saturated', async () => {
    expect(new Set(await verdicts(saturatedFrame()))).toEqual(new Set(['saturated']));
  });

  it('refuses pure noise (high pixel contrast, no structure)', async () => {
    const c = await contentOf(noiseFrame());
    for (const t of c) {
      expect(t.contrast).toBeLessThan(0.2);
      expect(t.structure).toBeLessThan(0.15); // white noise: ~1/16 of its variance survives the block means
      expect(contentVerdict(t)).not.toBe('content');
    }
  });

  it('refuses a dark frame', async () => {
    expect(new Set(await verdicts(darkFrame()))).toEqual(new Set(['dark']));
  });

  it('keeps tissue in focus and far out of focus, on both sides', async () => {
    for (const d of [0, -4, 4, -10, 10]) {
      const v = await verdicts(tissueFrame(d, 448, 448));
      expect(v.filter((x) => x === 'content').length, `defocus ${d}`).toBe(v.length);
    }
  });

  it('keeps greyscale and 16-bit tissue', async () => {
    const grey = await verdicts(tissueFrame(2, 672, 448, { channels: 1 }));
    const deep = await verdicts(tissueFrame(-2, 672, 448, { bitDepth: 16 }));
    expect(grey.every((v) => v === 'content')).toBe(true);
    expect(deep.every((v) => v === 'content')).toBe(true);
  });

  it('keeps the tissue side of a section edge and refuses the glass side', async () => {
    const frame = halfTissueFrame();
    const prepared = await prepareFrame(frame, spec);
    const { positions } = patchPositions(prepared);
    const c = measureContent(prepared.image, prepared.fullScale, positions, 224, 224);
    positions.forEach((p, i) => {
      const v = contentVerdict(c[i]);
      if (p.x + 224 <= frame.width / 3) expect(v).toBe('content');
      if (p.x >= frame.width / 3) expect(v).toBe('blank');
    });
  });

  it('names the most common reason for a refused frame', () => {
    expect(noContentReason(['blank', 'blank', 'noise'])).toMatch(/blank/);
    expect(noContentReason(['saturated', 'saturated', 'blank'])).toMatch(/saturated/);
    expect(noContentReason(['noise'])).toMatch(/noise/);
    expect(noContentReason(['dark', 'dark'])).toMatch(/dark/);
  });
});
