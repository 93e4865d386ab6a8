/** Hand-made frames for the content filter and estimate tests: blank glass, clipped, noise, dark, tissue. */
import type { Frame } from '../../../src/hardware/types';
import { FakeMicroscope, mulberry32 } from '../../helpers/fakeMicroscope';

export const PIXEL_UM = 0.1725;

function frameOf(
  width: number,
  height: number,
  data: Uint8Array | Uint16Array,
  channels: 1 | 3 = 3,
  bitDepth: 8 | 16 = 8,
): Frame {
  return { width, height, channels, bitDepth, data, pixelSizeUm: PIXEL_UM, exposureMs: 10, timestamp: Date.now() };
}

/** Empty glass: a bright, even field with camera noise and vignetting (30 % darker corners). */
export function blankFrame(width = 672, height = 448, seed = 1): Frame {
  const rng = mulberry32(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const r2 = ((x - width / 2) ** 2 + (y - height / 2) ** 2) / ((width / 2) ** 2 + (height / 2) ** 2);
      const level = 220 * (1 - 0.3 * r2);
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = Math.round(level + (rng() - 0.5) * 8);
    }
  return frameOf(width, height, data);
}

export function saturatedFrame(width = 672, height = 448): Frame {
  return frameOf(width, height, new Uint8Array(width * height * 3).fill(255));
}

/** Pure noise: every pixel independent, full contrast, no structure. */
export function noiseFrame(width = 672, height = 448, seed = 2): Frame {
  const rng = mulberry32(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    const v = Math.floor(rng() * 256);
    data[i] = v;
    data[i + 1] = v;
    data[i + 2] = v;
  }
  return frameOf(width, height, data);
}

export function darkFrame(width = 672, height = 448, seed = 3): Frame {
  const rng = mulberry32(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng() * 4);
  return frameOf(width, height, data);
}

/** Stained-tissue-like texture at defocus d (fake microscope: blur grows with |d|). */
export function tissueFrame(
  defocusUm: number,
  width = 672,
  height = 448,
  options: { channels?: 1 | 3; bitDepth?: 8 | 16; density?: number; seed?: number } = {},
): Frame {
  const m = new FakeMicroscope({
    width,
    height,
    pixelSizeUm: PIXEL_UM,
    channels: options.channels ?? 3,
    bitDepth: options.bitDepth ?? 8,
    density: options.density ?? 1,
    seed: options.seed ?? 5,
    blurPerUmBelow: 1.2,
    blurPerUmAbove: 1.5,
  });
  const { data } = m.render(defocusUm);
  return frameOf(width, height, data, options.channels ?? 3, options.bitDepth ?? 8);
}

/** Left part tissue, right part blank glass (a section edge). */
export function halfTissueFrame(width = 672, height = 448): Frame {
  const t = tissueFrame(0, width, height);
  const b = blankFrame(width, height);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        const i = (y * width + x) * 3 + c;
        data[i] = x < width / 3 ? t.data[i] : b.data[i];
      }
  return frameOf(width, height, data);
}
