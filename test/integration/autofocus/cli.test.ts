/**
 * The CLI as scripts use it, in a child process: `predict` on a greyscale PNG, a 16-bit PNG and a corrupt file (one
 * JSON line per readable image, one error line per unreadable one, non-zero exit), and `autofocus --sim --json`
 * (the documented keys, the true remaining defocus).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/datasetFixtures';
import * as utifModule from 'utif2';
import { writeOmeTiff } from '../../../src/main/dataset/export/omeTiff';
import { tissueFrame } from '../../unit/autofocus/frames';
import { wideTiff } from '../../helpers/wideTiff';

const UTIF = ((utifModule as unknown as { default?: unknown }).default ?? utifModule) as {
  encodeImage(rgba: Uint8Array, w: number, h: number, metadata?: Record<string, unknown>): ArrayBuffer;
};

const run = promisify(execFile);
const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'focus-station.js');
const MEAN_NET = path.join(__dirname, '..', '..', 'fixtures', 'models', 'mean-net.json');
let dir: string;
let env: NodeJS.ProcessEnv;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env,
      timeout: 240_000,
      maxBuffer: 1 << 24,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  dir = tempDir('autofocus-cli');
  env = { ...process.env, FOCUS_STATION_DATA_DIR: path.join(dir, 'data') };
  const grey = tissueFrame(2, 672, 448, { channels: 1 });
  await sharp(Buffer.from(grey.data.buffer, grey.data.byteOffset, grey.data.byteLength), {
    raw: { width: 672, height: 448, channels: 1 },
  })
    .png()
    .toFile(path.join(dir, 'grey.png'));
  // 16-bit raw input goes to sharp as the Uint16Array itself: the typed array sets the sample depth.
  const deep = tissueFrame(-3, 672, 448, { bitDepth: 16 });
  await sharp(deep.data as Uint16Array, { raw: { width: 672, height: 448, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toFile(path.join(dir, 'deep16.png'));
  // The same scene as a 12-bit camera stores it in a 16-bit file: counts up to 4095.
  const twelve = Uint16Array.from(deep.data as Uint16Array, (v) => v >> 4);
  await sharp(twelve, { raw: { width: 672, height: 448, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toFile(path.join(dir, 'deep12.png'));
  fs.writeFileSync(
    path.join(dir, 'corrupt.png'),
    Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n'), Buffer.alloc(200, 7)]),
  );
});

describe('focus-station predict', () => {
  it('greyscale and 16-bit images: one JSON object per line; a corrupt file: an error line, the others still predicted', async () => {
    const meta16 = await sharp(path.join(dir, 'deep16.png')).metadata();
    expect(meta16.depth).toBe('ushort');
    const max12 = (await sharp(path.join(dir, 'deep12.png')).stats()).channels.map((c) => c.max);
    expect(Math.max(...max12)).toBeLessThan(4096);
    const r = await cli([
      'predict',
      path.join(dir, 'grey.png'),
      path.join(dir, 'corrupt.png'),
      path.join(dir, 'deep16.png'),
      '--model',
      MEAN_NET,
      '--json',
    ]);
    expect(r.code).not.toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const [i, name] of ['grey.png', 'deep16.png'].entries()) {
      const l = lines[i];
      expect(l.file).toBe(path.join(dir, name));
      expect(Object.keys(l)).toEqual(
        expect.arrayContaining(['file', 'defocus_um', 'confidence', 'patches_used', 'patches_total', 'regions']),
      );
      expect(typeof l.defocus_um).toBe('number');
      expect(l.confidence).toBeGreaterThan(0);
      expect(l.patches_total).toBe(6);
      expect(l.patches_used).toBe(6);
      expect(l.regions).toHaveLength(3);
      for (const row of l.regions) {
        expect(row).toHaveLength(3);
        for (const v of row) expect(v === null || typeof v === 'number').toBe(true);
      }
    }
    // mean-net = 2 * mean(normalised input) + 0.5: a greyscale tile replicated to RGB and a 16-bit tile both land in
    // the normalised range of an 8-bit RGB image of the same scene (not 256x off).
    expect(Math.abs(lines[1].defocus_um)).toBeLessThan(5);
    const errors = r.stderr.trim().split('\n');
    expect(errors).toHaveLength(2);
    expect(errors[1]).toMatch(/^focus-station predict: .*corrupt\.png: /);
    // The two images read carry no pixel size of their own: it says what they were read at, and how to say better.
    expect(errors[0]).toMatch(
      /^focus-station predict: 2 images carry no pixel size .*: read at mean-net's 0\.1725 um\/px, .*pass --pixel-size <um\/px>/,
    );
  });

  it('without --json: a readable table', async () => {
    const r = await cli(['predict', path.join(dir, 'grey.png'), '--model', MEAN_NET]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/model mean-net/);
    expect(r.stdout).toMatch(/confidence \d\.\d\d {2}6\/6 patches/);
  });
});

describe('focus-station predict --pixel-size without --model', () => {
  it('reads the images with the shipped model for that pixel size; a pixel size no model suits is refused', async () => {
    const at40x = await cli(['predict', path.join(dir, 'deep16.png'), '--pixel-size', '0.055', '--json']);
    expect(at40x.code).toBe(0);
    expect(JSON.parse(at40x.stdout.trim()).model).toBe('ldse-net-40x');
    const at20x = await cli(['predict', path.join(dir, 'deep16.png'), '--pixel-size', '0.19', '--json']);
    expect(at20x.code).toBe(0);
    expect(JSON.parse(at20x.stdout.trim()).model).toBe('ldse-net-20x');
    // a 10x camera's 0.65 um is within the x4 that resampling bridges for the 20x model (docs/training.md)
    const at10x = await cli(['predict', path.join(dir, 'deep16.png'), '--pixel-size', '0.65', '--json']);
    expect(at10x.code, at10x.stderr).toBe(0);
    expect(JSON.parse(at10x.stdout.trim())).toMatchObject({ model: 'ldse-net-20x', pixel_size_um: 0.65 });
    const at1um = await cli(['predict', path.join(dir, 'deep16.png'), '--pixel-size', '1', '--json']);
    expect(at1um.code).toBe(2);
    expect(at1um.stderr).toMatch(/model does not match these images: pixel size 1 um vs the model's 0.1725 um \(x5.80/);
  });
});

describe('focus-station predict on files that record their pixel size', () => {
  const colour448 = () => {
    const f = tissueFrame(1, 448, 448);
    return { data: f.data as Uint8Array, width: 448, height: 448, channels: 3 as const, bitDepth: 8 as const };
  };
  /** An ImageJ TIFF (RGBA, as utif2 writes) calibrated at `um` per pixel. */
  const imageJTiff = (file: string, um: number) => {
    const rgb = colour448().data;
    const rgba = new Uint8Array(448 * 448 * 4);
    for (let i = 0; i < 448 * 448; i++) rgba.set([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], 255], 4 * i);
    const tags = { t270: ['ImageJ=1.54f\nunit=micron\n'], t282: [[1e6, Math.round(um * 1e6)]], t296: [1] };
    fs.writeFileSync(file, Buffer.from(UTIF.encodeImage(rgba, 448, 448, tags)));
  };

  it('reads each file at its own calibration, with the model for it; --pixel-size overrides the file', async () => {
    const ome = path.join(dir, 'calibrated-40x.ome.tif');
    await writeOmeTiff(
      ome,
      { name: 'cal', width: 448, height: 448, channels: 3, bitDepth: 8, pixelSizeUm: 0.055, zUm: [0, 1] },
      async () => colour448(),
    );
    const imageJ = path.join(dir, 'calibrated-0.325.tif');
    imageJTiff(imageJ, 0.325);
    const r = await cli(['predict', ome, imageJ, path.join(dir, 'grey.png'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.model, l.pixel_size_um, l.pixel_size_from])).toEqual([
      ['ldse-net-40x', 0.055, 'OME-XML'],
      ['ldse-net-40x', 0.055, 'OME-XML'],
      ['ldse-net-20x', 0.325, 'ImageJ'],
      // a monochrome image: the model made for monochrome cameras
      ['ldse-net-20x-mono', 0.1725, 'model'],
    ]);
    const given = await cli(['predict', ome, '--pixel-size', '0.1725', '--json']);
    expect(given.code, given.stderr).toBe(0);
    expect(JSON.parse(given.stdout.trim().split('\n')[0])).toMatchObject({
      model: 'ldse-net-20x',
      pixel_size_from: '--pixel-size',
    });
  });

  it('a file calibrated beyond what resampling bridges for its model gets an error line; the others are read', async () => {
    const coarse = path.join(dir, 'calibrated-2um.tif');
    imageJTiff(coarse, 2);
    const r = await cli(['predict', coarse, path.join(dir, 'grey.png'), '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /calibrated-2um\.tif: model does not match this image: pixel size 2 um .*\(pixel size from ImageJ\)/,
    );
  });
});

describe('focus-station predict with a model made for monochrome cameras', () => {
  it('reads monochrome images with the shipped monochrome model and colour images with the colour model', async () => {
    const r = await cli(['predict', path.join(dir, 'grey.png'), path.join(dir, 'deep16.png'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.model)).toEqual(['ldse-net-20x-mono', 'ldse-net-20x']);
    // 40x monochrome images: the 40x model made for monochrome cameras (docs/training.md 3g); the colour 40x model
    // reads monochrome frames near chance (3e)
    const at40x = await cli(['predict', path.join(dir, 'grey.png'), '--pixel-size', '0.055', '--json']);
    expect(JSON.parse(at40x.stdout.trim()).model).toBe('ldse-net-40x-mono');
    // --model still decides
    const given = await cli(['predict', path.join(dir, 'grey.png'), '--model', 'ldse-net-20x', '--json']);
    expect(JSON.parse(given.stdout.trim()).model).toBe('ldse-net-20x');
  });
});

describe('focus-station predict on a multi-page TIFF z-stack', () => {
  it('one JSON line per page, with "page" and "pages", each as the page read on its own', async () => {
    const planes: string[] = [];
    for (const [i, d] of [-4, 0, 4].entries()) {
      const f = tissueFrame(d, 448, 448);
      const file = path.join(dir, `plane${i}.png`);
      await sharp(f.data as Uint8Array, { raw: { width: 448, height: 448, channels: 3 } })
        .png()
        .toFile(file);
      planes.push(file);
    }
    const stack = path.join(dir, 'stack.tif');
    await sharp(await Promise.all(planes.map((p) => fs.promises.readFile(p))), { join: { animated: true } })
      .tiff({ compression: 'lzw' }) // sharp's default is JPEG
      .toFile(stack);
    const r = await cli(['predict', stack, ...planes, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    expect(lines.slice(0, 3).map((l) => [l.file, l.page, l.pages])).toEqual([
      [stack, 0, 3],
      [stack, 1, 3],
      [stack, 2, 3],
    ]);
    for (let i = 0; i < 3; i++) {
      expect(lines[3 + i].page).toBeUndefined();
      expect(lines[i].defocus_um).toBeCloseTo(lines[3 + i].defocus_um, 5);
    }
    // the stack's planes differ: its pages are not page 0 three times
    expect(new Set(lines.slice(0, 3).map((l) => l.defocus_um.toFixed(4))).size).toBe(3);
  });
});

describe('focus-station predict on a 16-bit z-stack', () => {
  it('finds the bit depth over all its pages, so that its planes are scaled alike', async () => {
    // page 0 peaks at 4000 (12-bit on its own), page 1 at 5000: a 14-bit camera's stack
    const pages = await Promise.all(
      [4000, 5000].map((peak) => {
        const f = tissueFrame(0, 448, 448, { bitDepth: 16 });
        const data = Uint16Array.from(f.data as Uint16Array, (v) => Math.round((v * peak) / 65535));
        return sharp(data, { raw: { width: 448, height: 448, channels: 3 } })
          .toColourspace('rgb16')
          .png()
          .toBuffer();
      }),
    );
    const stack = path.join(dir, 'stack16.tif');
    await sharp(pages, { join: { animated: true } })
      .toColourspace('rgb16')
      .tiff({ compression: 'lzw' })
      .toFile(stack);
    expect((await sharp(stack).metadata()).depth).toBe('ushort');
    const first = async (...extra: string[]) => {
      const r = await cli(['predict', stack, ...extra, '--model', MEAN_NET, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n')[0]).defocus_um as number;
    };
    const found = await first();
    expect(found).toBeCloseTo(await first('--bit-depth', '14'), 6);
    expect(Math.abs(found - (await first('--bit-depth', '12')))).toBeGreaterThan(0.1);
  });
});

describe('focus-station predict on 12-bit data in 16-bit files', () => {
  it('reads them as the full-range image (found from the brightest sample, or given by --bit-depth)', async () => {
    const read = async (...extra: string[]) => {
      const r = await cli(['predict', ...extra, '--model', MEAN_NET, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).defocus_um as number);
    };
    // mean-net reads the mean brightness: the 12-bit file must come out as bright as the 16-bit one
    const [full, twelve] = await read(path.join(dir, 'deep16.png'), path.join(dir, 'deep12.png'));
    expect(Math.abs(twelve - full)).toBeLessThan(0.01);
    const [given] = await read(path.join(dir, 'deep12.png'), '--bit-depth', '12');
    expect(given).toBeCloseTo(twelve, 6);
    // read as 16-bit it is 16x too dark
    const [dark] = await read(path.join(dir, 'deep12.png'), '--bit-depth', '16');
    expect(dark).toBeLessThan(full - 0.5);
    const bad = await cli(['predict', path.join(dir, 'deep12.png'), '--bit-depth', '13', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--bit-depth must be one of 10, 12, 14, 16/);
  });

  it('reads 16-bit files as linear light through the sRGB curve unless --encoding srgb says otherwise', async () => {
    const read = async (...args: string[]) => {
      const r = await cli(['predict', ...args, '--model', MEAN_NET, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim()).defocus_um as number;
    };
    const deep = path.join(dir, 'deep16.png');
    const [asLinear, linearSaid, asSrgb] = [
      await read(deep),
      await read(deep, '--encoding', 'linear'),
      await read(deep, '--encoding', 'srgb'),
    ];
    expect(linearSaid).toBeCloseTo(asLinear, 6);
    // mean-net reads the mean brightness: the sRGB curve lifts every linear value below white
    expect(asLinear).toBeGreaterThan(asSrgb + 0.2);
    const grey = path.join(dir, 'grey.png');
    expect(await read(grey, '--encoding', 'linear')).toBeGreaterThan((await read(grey)) + 0.2);
    const bad = await cli(['predict', grey, '--encoding', 'gamma', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--encoding must be srgb or linear, not gamma/);
  });

  it('balances the images by --white-reference (an image of blank glass): a dim blue glass lifts them, a trained one leaves them', async () => {
    const glass = async (name: string, [r, g, b]: number[]) => {
      const file = path.join(dir, name);
      await sharp({ create: { width: 448, height: 448, channels: 3, background: { r, g, b } } })
        .png()
        .toFile(file);
      return file;
    };
    const read = async (...args: string[]) => {
      const r = await cli(['predict', path.join(dir, 'grey.png'), ...args, '--model', MEAN_NET, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim()).defocus_um as number;
    };
    const asIs = await read();
    // sRGB 200 grey is 58 % of full scale in linear light: within the trained 45-90 %, so nothing changes
    expect(await read('--white-reference', await glass('glass-trained.png', [200, 200, 200]))).toBeCloseTo(asIs, 6);
    // a dim glass (sRGB 90, 110, 160: 10-35 % linear) says the images are dark: they are lifted (mean-net reads brightness)
    expect(await read('--white-reference', await glass('glass-dim.png', [90, 110, 160]))).toBeGreaterThan(asIs + 0.2);
    const notGlass = await cli([
      'predict',
      path.join(dir, 'grey.png'),
      '--white-reference',
      path.join(dir, 'grey.png'),
    ]);
    expect(notGlass.code).toBe(2);
    expect(notGlass.stderr).toMatch(/--white-reference .*grey\.png: the field is not blank glass/);
  });
});

describe('focus-station predict: the glass in view', () => {
  it('balances by the glass the images show (default auto), the same as by an image of that glass; "none" reads them as they are, with a hint', async () => {
    // Tissue on the left half, a blue glass (a white LED without white balance) on the right.
    const tissue = tissueFrame(2, 448, 448);
    const blue = [180, 205, 245]; // brighter than the (pale) tissue, as glass is
    const file = path.join(dir, 'half-blue-glass.png');
    await sharp({
      create: { width: 896, height: 448, channels: 3, background: { r: blue[0], g: blue[1], b: blue[2] } },
    })
      .composite([
        { input: Buffer.from(tissue.data.buffer), raw: { width: 448, height: 448, channels: 3 }, left: 0, top: 0 },
      ])
      .png()
      .toFile(file);
    const predict = async (...args: string[]) => {
      const r = await cli(['predict', file, '--model', MEAN_NET, '--json', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return { line: JSON.parse(r.stdout.trim()), stderr: r.stderr };
    };
    // As they are: the glass is reported, with the hint.
    const asIs = (await predict('--white-reference', 'none')).line;
    expect(asIs.glass.tiles).toBe(4); // the right half: 2 x 2 tiles
    expect(asIs.glass.rgb[2]).toBeGreaterThan(asIs.glass.rgb[1]);
    expect(asIs.hint).toMatch(/^the glass in view is bluer than the models were trained on/);
    expect(asIs.balanced_by).toBeUndefined();
    const text = await cli(['predict', file, '--model', MEAN_NET, '--white-reference', 'none']);
    expect(text.stdout).toMatch(/hint: the glass in view is bluer .* \(--white-reference <glass image>\)/);
    // By default that glass balances the image: no hint, and the reading moves (mean-net reads brightness).
    const auto = await predict();
    expect(auto.stderr).toMatch(
      /balanced by the glass in view \(1 image near focus, linear 0\.4\d\d \/ 0\.6\d\d \/ 0\.9\d\d\)/,
    );
    expect(auto.line.balanced_by).toBe('glass in view');
    expect(auto.line.hint).toBeUndefined();
    expect(auto.line.glass).toBeUndefined();
    expect(Math.abs(auto.line.defocus_um - asIs.defocus_um)).toBeGreaterThan(0.05);
    // Another camera's image in the same call (another size, greyscale) keeps its own: nothing to balance it by.
    const both = await cli(['predict', file, path.join(dir, 'grey.png'), '--model', MEAN_NET, '--json']);
    const [blueLine, greyLine] = both.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(blueLine.balanced_by).toBe('glass in view');
    expect(greyLine.file).toMatch(/grey\.png$/);
    expect(greyLine.balanced_by).toBeUndefined();
    // Only the balanced camera's images are read again; the lines keep the order of the files given.
    const reversed = await cli(['predict', path.join(dir, 'grey.png'), file, '--model', MEAN_NET, '--json']);
    expect(
      reversed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).balanced_by ?? null),
    ).toEqual([null, 'glass in view']);
    // An image of the same glass balances it the same way.
    const glass = path.join(dir, 'blue-glass.png');
    await sharp({
      create: { width: 448, height: 448, channels: 3, background: { r: blue[0], g: blue[1], b: blue[2] } },
    })
      .png()
      .toFile(glass);
    const byFile = (await predict('--white-reference', glass)).line;
    expect(byFile.balanced_by).toBe('file: blue-glass.png');
    expect(byFile.defocus_um).toBeCloseTo(auto.line.defocus_um, 2);
  });

  it('auto changes nothing for images without glass near focus: one pass, no note', async () => {
    const grey = path.join(dir, 'grey.png');
    const auto = await cli(['predict', grey, '--model', MEAN_NET, '--json']);
    const none = await cli(['predict', grey, '--model', MEAN_NET, '--json', '--white-reference', 'none']);
    expect(auto.code, auto.stderr).toBe(0);
    expect(auto.stderr).not.toMatch(/balanced by/);
    expect(auto.stdout.replace(/"compute_ms":[\d.]+/, '')).toBe(none.stdout.replace(/"compute_ms":[\d.]+/, ''));
  });
});

describe('focus-station simulate-stack: another lamp and exposure', () => {
  it('--lamp 6500 --exposure 0.5 renders glass bluer than red and darker than the balanced camera; bad values refused', async () => {
    const glass = path.join(dir, 'white-slide.png');
    await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 255, g: 255, b: 255 } } })
      .png()
      .toFile(glass);
    const render = async (name: string, ...args: string[]) => {
      const out = path.join(dir, name);
      const r = await cli([
        'simulate-stack',
        '--slide',
        glass,
        '--out',
        out,
        '--range',
        '0:1:1',
        '--size',
        '64x64',
        ...args,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const plane = fs.readdirSync(out).find((f) => f.endsWith('.png'))!;
      return (await sharp(path.join(out, plane)).stats()).channels.map((c) => c.mean);
    };
    const balanced = await render('stack-balanced');
    const led = await render('stack-led', '--lamp', '6500', '--exposure', '0.5');
    expect(Math.abs(balanced[0] - balanced[2])).toBeLessThan(3); // grey glass under the lamp it is balanced for
    expect(led[2]).toBeGreaterThan(led[0] + 20);
    expect(led[1]).toBeLessThan(balanced[1] - 20);
    const bad = await cli(['simulate-stack', '--slide', glass, '--out', path.join(dir, 'x'), '--lamp', 'warm']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--lamp must be a number/);
  });
});

describe('focus-station predict on many files', () => {
  it('300 images with long paths in one call: every one predicted (no crash while the model loads)', async () => {
    // With onnxruntime on a 4 MB worker stack, a command line this long crashed the process (SIGSEGV) while the
    // LDSE-NET session was built, before the first image (worker-client.ts INFERENCE_STACK_MB).
    const long = path.join(dir, `${'a-stack-from-another-lab-'.repeat(4)}plane.png`);
    fs.copyFileSync(path.join(dir, 'grey.png'), long);
    const r = await cli(['predict', ...Array<string>(300).fill(long), '--json', '--pixel-size', '0.1725']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(300);
    expect(new Set(lines.map((l) => JSON.parse(l).defocus_um)).size).toBe(1);
  });
});

describe('focus-station autofocus --sim', () => {
  it('prints the documented JSON with the true remaining defocus (classic sweep)', async () => {
    const r = await cli([
      'autofocus',
      '--sim',
      '--method',
      'sweep',
      '--roi',
      '448x448',
      '--start-defocus',
      '4.2',
      '--seed',
      '3',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(Object.keys(out)).toEqual(
      expect.arrayContaining(['start_defocus_um', 'final_defocus_um', 'images', 'moves', 'elapsed_ms', 'method']),
    );
    expect(out.start_defocus_um).toBeCloseTo(4.2, 9);
    expect(out.method).toBe('sweep');
    expect(out.images).toBeGreaterThanOrEqual(10);
    expect(Math.abs(out.final_defocus_um)).toBeLessThan(0.5);
    expect(out.run_id).toBeGreaterThan(0); // stored in the dataset of the data folder
  });

  it('with a model for another setup: model-mismatch, nothing moved, non-zero exit', async () => {
    const r = await cli([
      'autofocus',
      '--sim',
      '--setup',
      '40x',
      '--roi',
      '448x448',
      '--start-defocus',
      '-2',
      '--model',
      MEAN_NET,
      '--json',
    ]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout.trim());
    expect(out.outcome).toBe('model-mismatch');
    expect(out.final_defocus_um).toBeCloseTo(-2, 9);
    expect(out.images).toBe(0);
  });
});

describe('focus-station predict on 32-bit images (ImageJ "32-bit": float, or integer counts)', () => {
  it('reads them as the same image in 16 bits: float in 0..1, counts by the bits they use, a z-stack alike', async () => {
    const grey = tissueFrame(1, 448, 448, { channels: 1, bitDepth: 16 }).data as Uint16Array;
    const w = 448;
    const h = 448;
    await sharp(grey, { raw: { width: w, height: h, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toFile(path.join(dir, 'wide-ref16.png'));
    const unit = Float32Array.from(grey, (v) => v / 65535);
    // 12-bit counts stored as floats, as a flat-field correction or an average writes them
    const counts = Float32Array.from(grey, (v) => (v / 65535) * 4095);
    const ints = Uint32Array.from(grey, (v) => Math.round((v / 65535) * 4095));
    fs.writeFileSync(path.join(dir, 'unit.tif'), wideTiff(w, h, [unit]));
    fs.writeFileSync(path.join(dir, 'counts.tif'), wideTiff(w, h, [counts]));
    fs.writeFileSync(path.join(dir, 'ints.tif'), wideTiff(w, h, [ints]));
    // a stack whose first page peaks at 12-bit counts, its second beyond: both pages at the 14-bit scale
    const dimmer = Float32Array.from(counts, (v) => v * 0.9);
    const brighter = Float32Array.from(counts, (v) => v * 1.2);
    fs.writeFileSync(path.join(dir, 'stack32.tif'), wideTiff(w, h, [dimmer, brighter]));
    expect((await sharp(path.join(dir, 'unit.tif')).metadata()).depth).toBe('float');
    expect((await sharp(path.join(dir, 'ints.tif')).metadata()).depth).toBe('uint');

    const files = ['wide-ref16.png', 'unit.tif', 'counts.tif', 'ints.tif', 'stack32.tif'].map((f) => path.join(dir, f));
    const r = await cli(['predict', ...files, '--model', MEAN_NET, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((l) => {
        expect(l.status ?? 'ok', JSON.stringify(l)).toBe('ok');
        return l.defocus_um as number;
      });
    expect(d).toHaveLength(6);
    const [ref, unitD, countsD, intsD, page0, page1] = d;
    // mean-net reads the mean brightness: every 32-bit form of the image reads as the 16-bit file does
    expect(Math.abs(unitD - ref)).toBeLessThan(0.01);
    expect(Math.abs(countsD - ref)).toBeLessThan(0.01);
    expect(Math.abs(intsD - ref)).toBeLessThan(0.01);
    // the stack's pages keep their brightness ratio (one scale for both), and neither is read as black
    expect(page1).toBeGreaterThan(page0 + 0.1);
    expect(page0).toBeLessThan(ref);
    // before, sharp cast 32-bit samples to 8 bits: a float image in 0..1 came out black, "no focusable content"
  });
});
