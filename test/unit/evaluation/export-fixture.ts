/** Writes small dataset exports (notes/formats.md layout) of uniform-grey images for the evaluation tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { MANIFEST_COLUMNS } from '../../../src/main/evaluation/export-reader';

export interface ExportImage {
  path: string;
  split: 'train' | 'test';
  defocus: number;
  /** Uniform sample value (0..255 or 0..65535). */
  value: number;
  width?: number;
  height?: number;
  channels?: 1 | 3;
  bitDepth?: 8 | 16;
  pixelSize?: number;
  /** Leave the file out (a row whose image is missing). */
  missing?: boolean;
}

export const MODEL_PIXEL_SIZE = 0.1725;

/** mean-net's prediction for a uniform image: 2 * (v - 0.5) / 0.25 + 0.5, v the value in [0, 1] as the model reads it. */
export function meanNetPrediction(value: number, bitDepth: 8 | 16 = 8): number {
  // 16-bit values are linear light, which the app reads through the sRGB curve (IEC 61966-2-1) into 8 bits
  const v = bitDepth === 16 ? Math.round(srgb(value / 65535) * 255) / 255 : value / 255;
  return 2 * ((v - 0.5) / 0.25) + 0.5;
}

function srgb(linear: number): number {
  return linear <= 0.0031308 ? 12.92 * linear : 1.055 * linear ** (1 / 2.4) - 0.055;
}

/** The 8-bit grey level whose mean-net prediction is closest to `predicted`. */
export function valueFor(predicted: number): number {
  return Math.max(0, Math.min(255, Math.round((((predicted - 0.5) / 2) * 0.25 + 0.5) * 255)));
}

export async function writeExport(dir: string, images: ExportImage[]): Promise<void> {
  const rows = [MANIFEST_COLUMNS.join(',')];
  for (const [i, img] of images.entries()) {
    const width = img.width ?? 224;
    const height = img.height ?? 224;
    const channels = img.channels ?? 3;
    const bitDepth = img.bitDepth ?? 8;
    const pixelSize = img.pixelSize ?? MODEL_PIXEL_SIZE;
    if (!img.missing) {
      mkdirSync(dirname(join(dir, img.path)), { recursive: true });
      const samples = width * height * channels;
      const data = bitDepth === 16 ? new Uint16Array(samples).fill(img.value) : new Uint8Array(samples).fill(img.value);
      const space = bitDepth === 16 ? (channels === 1 ? 'grey16' : 'rgb16') : channels === 1 ? 'b-w' : 'srgb';
      await sharp(data, { raw: { width, height, channels } }).toColourspace(space).png().toFile(join(dir, img.path));
    }
    const patch = width === 224 && height === 224;
    rows.push(
      [
        img.path,
        img.split,
        `s${i}`,
        img.split === 'test' ? 'slide-b' : 'slide-a',
        '20x',
        img.defocus,
        100 + img.defocus,
        100,
        pixelSize,
        20,
        0.75,
        channels,
        bitDepth,
        width,
        height,
        patch ? 0 : '',
        patch ? 0 : '',
        'sim',
      ].join(','),
    );
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.csv'), rows.join('\n') + '\n');
  writeFileSync(
    join(dir, 'dataset.json'),
    JSON.stringify({
      format: 'focus-station-export',
      format_version: 1,
      app_version: '0.1.0',
      exported_at: new Date(0).toISOString(),
      setups: [
        {
          id: '20x',
          name: '20x/0.75',
          magnification: 20,
          na: 0.75,
          immersion_index: 1,
          condenser_sigma: 0.7,
          pixel_size_um: MODEL_PIXEL_SIZE,
        },
      ],
      split: { rule: 'slide', seed: 0, test_fraction: 0.1, train_stacks: 1, test_stacks: 1 },
      counts: {
        images: images.length,
        train: images.filter((i) => i.split === 'train').length,
        test: images.filter((i) => i.split === 'test').length,
        stacks: images.length,
        slides: 2,
      },
      patch: null,
      label_method: 'synthetic',
      filters: {},
      slides: [
        { id: 'slide-a', name: 'a', split: 'train' },
        { id: 'slide-b', name: 'b', split: 'test' },
      ],
    }),
  );
}
