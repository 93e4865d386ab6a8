/** Slide images: every kind of bad or unusual input either works or fails with one clear OpticsError. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { OpticsError } from '../../../src/hardware/optics/errors';
import { mirrorIndex, Slide } from '../../../src/hardware/optics/slide';

const SHARED_SLIDES = path.resolve(__dirname, '../../../../shared/data/slides');

let dir: string;

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** A PNG signature + IHDR (+ a token IDAT, IEND) claiming width x height RGB: decoders read the size without any pixel data. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-slide-'));
});

async function expectOpticsError(p: Promise<unknown>, code: string, msg: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpticsError);
  expect((err as OpticsError).code).toBe(code);
  expect((err as Error).message).toMatch(msg);
  expect((err as Error).message.split('\n')).toHaveLength(1);
}

describe('slide loading', () => {
  it('missing file', async () => {
    await expectOpticsError(Slide.load(path.join(dir, 'nope.png')), 'SLIDE_MISSING', /not found/);
  });

  it('empty file (0 bytes)', async () => {
    const f = path.join(dir, 'empty.png');
    await writeFile(f, '');
    await expectOpticsError(Slide.load(f), 'SLIDE_EMPTY', /empty/);
  });

  it('unreadable file (not an image)', async () => {
    const f = path.join(dir, 'garbage.png');
    await writeFile(f, Buffer.from('this is not a PNG at all, just text'));
    await expectOpticsError(Slide.load(f), 'SLIDE_UNREADABLE', /cannot be decoded/);
  });

  it('a directory', async () => {
    await expectOpticsError(Slide.load(dir), 'SLIDE_UNREADABLE', /not a file/);
  });

  it('huge image: refused from its header, before decoding (a 100000 x 80000 PNG header)', async () => {
    const f = path.join(dir, 'huge.png');
    await writeFile(f, pngHeaderOnly(100_000, 80_000));
    await expectOpticsError(Slide.load(f), 'SLIDE_TOO_LARGE', /over the 40\.0 MP limit/);
  });

  it('an image over a caller-set pixel limit', async () => {
    await expectOpticsError(
      Slide.load(path.join(SHARED_SLIDES, 'HE_L1.png'), { maxPixels: 100_000 }),
      'SLIDE_TOO_LARGE',
      /limit/,
    );
  });

  it('tiny image', async () => {
    const f = path.join(dir, 'tiny.png');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .png()
      .toFile(f);
    await expectOpticsError(Slide.load(f), 'SLIDE_TOO_SMALL', /smaller than/);
  });

  it('bad declared pixel size', async () => {
    await expectOpticsError(
      Slide.load(path.join(SHARED_SLIDES, 'HE_L1.png'), { pixelSizeUm: -1 }),
      'BAD_OPTION',
      /pixel size/,
    );
  });

  it('16-bit greyscale (BF_hiPSC) loads as linear light, replicated to R=G=B', async () => {
    const s = await Slide.load(path.join(SHARED_SLIDES, 'BF_hiPSC_unstained_100x_16bit.png'), { pixelSizeUm: 0.108 });
    expect(s.info.sourceBitDepth).toBe(16);
    expect(s.info.encoding).toBe('linear');
    const r = await s.raster(0.2);
    expect(r.width).toBe(Math.round((1024 * 0.108) / 0.2));
    for (let i = 0; i < r.t[0].length; i += 997) {
      expect(r.t[0][i]).toBe(r.t[1][i]);
      expect(r.t[1][i]).toBe(r.t[2][i]);
    }
  });

  it('8-bit greyscale JPEG and RGBA with transparency (transparent = empty glass = white)', async () => {
    const grey = path.join(dir, 'grey.jpg');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#404040' } })
      .toColourspace('b-w')
      .jpeg()
      .toFile(grey);
    const g = await Slide.load(grey);
    expect(g.info.sourceChannels).toBe(1);
    const rgba = path.join(dir, 'alpha.png');
    const px = Buffer.alloc(64 * 64 * 4);
    for (let i = 0; i < 64 * 64; i++) px.set(i < 32 * 64 ? [60, 20, 120, 255] : [60, 20, 120, 0], 4 * i);
    await sharp(px, { raw: { width: 64, height: 64, channels: 4 } })
      .png()
      .toFile(rgba);
    const a = await Slide.load(rgba, { pixelSizeUm: 0.2 });
    expect(a.info.hadAlpha).toBe(true);
    const r = await a.raster(0.2);
    // top half opaque purple stain, bottom half transparent: no absorption there
    expect(r.od[1][5 * 64 + 5]).toBeGreaterThan(1);
    expect(r.od[1][60 * 64 + 5]).toBeCloseTo(0, 5);
  });

  it('TIFF input works', async () => {
    const f = path.join(dir, 'slide.tif');
    await sharp(path.join(SHARED_SLIDES, 'HE_tcga_lung.png')).tiff().toFile(f);
    const s = await Slide.load(f);
    expect(s.info.widthPx).toBe(512);
  });

  it('the specimen is mirror-tiled without end', () => {
    expect([-2, -1, 0, 1, 4, 5, 6, 9, 10].map((i) => mirrorIndex(i, 5))).toEqual([1, 0, 0, 1, 4, 4, 3, 0, 0]);
  });
});
