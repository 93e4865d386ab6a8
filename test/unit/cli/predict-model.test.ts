/** Which model `focus-station predict --pixel-size` reads images with when no --model is given. */
import { describe, expect, it } from 'vitest';
import { nearestForPixelSize } from '../../../src/main/cli/commands/predict';
import type { ModelCard } from '../../../src/shared/model-card';

const entry = (id: string, pixelSizeUm: number, architecture = 'ldse-net', target = 'signed', camera = 'colour') => ({
  id,
  card: {
    architecture,
    input: { camera },
    output: { target },
    optics: { pixel_size_um: pixelSizeUm },
  } as unknown as ModelCard,
});

describe('the model for a pixel size', () => {
  const shipped = [entry('ldse-net-20x', 0.1725), entry('ldse-net-40x', 0.055)];

  it('the model made for the nearest pixel size', () => {
    expect(nearestForPixelSize(shipped, 0.055)).toBe('ldse-net-40x');
    expect(nearestForPixelSize(shipped, 0.07)).toBe('ldse-net-40x');
    expect(nearestForPixelSize(shipped, 0.2)).toBe('ldse-net-20x');
    // a 10x camera's 0.65 um is within the x4 resampling bridges for the 20x model
    expect(nearestForPixelSize(shipped, 0.65)).toBe('ldse-net-20x');
    // 2 um suits neither: the nearest, whose mismatch predict then reports
    expect(nearestForPixelSize(shipped, 2)).toBe('ldse-net-20x');
    expect(nearestForPixelSize(shipped, 0.005)).toBe('ldse-net-40x');
  });

  it('among models that suit the images, a signed LDSE-NET before a baseline or a magnitude model', () => {
    const pool = [
      entry('resnet50-20x', 0.1725, 'resnet50'),
      entry('ldse-net-20x-magnitude', 0.1725, 'ldse-net', 'magnitude'),
      entry('ldse-net-20x', 0.19),
    ];
    expect(nearestForPixelSize(pool, 0.1725)).toBe('ldse-net-20x');
    expect(nearestForPixelSize([pool[0], pool[1]], 0.1725)).toBe('ldse-net-20x-magnitude');
    expect(nearestForPixelSize([], 0.1725)).toBeNull();
    expect(nearestForPixelSize([{ id: 'broken', card: undefined }], 0.1725)).toBeNull();
  });

  it('monochrome images: a model made for a monochrome camera, where one suits them, before the nearest pixel size', () => {
    const pool = [...shipped, entry('ldse-net-20x-mono', 0.1725, 'ldse-net', 'signed', 'monochrome')];
    expect(nearestForPixelSize(pool, 0.1725, 'monochrome')).toBe('ldse-net-20x-mono');
    expect(nearestForPixelSize(pool, 0.1725, 'colour')).toBe('ldse-net-20x');
    // 0.07 um/px: the 20x monochrome model (x2.5) suits too, and its camera matters more than the pixel size
    expect(nearestForPixelSize(pool, 0.07, 'monochrome')).toBe('ldse-net-20x-mono');
    expect(nearestForPixelSize(pool, 0.07, 'colour')).toBe('ldse-net-40x');
    // 0.03 um/px suits only the 40x model (x1.8; the 20x ones are x5.75 away): colour or not, it reads them
    expect(nearestForPixelSize(pool, 0.03, 'monochrome')).toBe('ldse-net-40x');
    // With a 40x monochrome model too (shipped since 3g), each monochrome image gets the nearer of the two
    const both = [...pool, entry('ldse-net-40x-mono', 0.055, 'ldse-net', 'signed', 'monochrome')];
    expect(nearestForPixelSize(both, 0.07, 'monochrome')).toBe('ldse-net-40x-mono');
    expect(nearestForPixelSize(both, 0.1725, 'monochrome')).toBe('ldse-net-20x-mono');
    expect(nearestForPixelSize(both, 0.055, 'colour')).toBe('ldse-net-40x');
  });
});
