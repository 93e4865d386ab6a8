/** The watched-folder camera on real files written the way vendor software writes them. */
import { mkdtempSync, openSync, renameSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderCamera } from '../../../src/hardware/camera/folder-camera';
import { HardwareError } from '../../../src/hardware/types';
import { grey16Tiff } from './tiff16';

let camera: FolderCamera | null = null;
afterEach(async () => {
  await camera?.close();
  camera = null;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'folder-cam-'));
}

/** A 16-bit grey gradient: value = 100 * x + y. */
async function grey16Png(width: number, height: number): Promise<Buffer> {
  const px = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px[y * width + x] = 100 * x + y;
  return sharp(px, { raw: { width, height, channels: 1, premultiplied: false } })
    .toColourspace('grey16')
    .png()
    .toBuffer();
}

async function rgbPng(width: number, height: number, r: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r, g: 20, b: 200 } } })
    .png()
    .toBuffer();
}

describe('FolderCamera', () => {
  it('returns the next new image with its sidecar pixel size, 16-bit grey intact', async () => {
    const dir = folder();
    camera = new FolderCamera({ folder: dir, stableMs: 150, pollMs: 30, timeoutMs: 5000, pixelSizeUm: 9 });
    await camera.open();
    const snap = camera.snap();
    await sleep(50);
    writeFileSync(join(dir, 'plane_001.json'), JSON.stringify({ pixel_size_um: 0.325, exposure_ms: 12 }));
    writeFileSync(join(dir, 'plane_001.png'), await grey16Png(40, 30));
    const f = await snap;
    expect([f.width, f.height, f.channels, f.bitDepth]).toEqual([40, 30, 1, 16]);
    expect(f.data).toBeInstanceOf(Uint16Array);
    expect(f.data[0]).toBe(0);
    expect(f.data[39]).toBe(3900);
    expect(f.data[30 * 40 - 1]).toBe(3900 + 29);
    expect(f.pixelSizeUm).toBe(0.325);
    expect(f.exposureMs).toBe(12);
    expect(f.meta?.pixelSizeFrom).toBe('sidecar');
    expect(camera.info()).toMatchObject({ width: 40, height: 30, bitDepth: 16, channels: 1 });
  });

  it('ignores partial writes and temporary names until the file is complete', async () => {
    const dir = folder();
    camera = new FolderCamera({ folder: dir, stableMs: 250, pollMs: 25, timeoutMs: 5000, pixelSizeUm: 1 });
    await camera.open();
    const png = await rgbPng(64, 48, 180);
    const snap = camera.snap();
    await sleep(40);
    // Written in place in two halves with a pause shorter than stableMs.
    const fd = openSync(join(dir, 'slow.png'), 'w');
    writeSync(fd, png.subarray(0, png.length >> 1));
    await sleep(120);
    writeSync(fd, png.subarray(png.length >> 1));
    closeSync(fd);
    const f = await snap;
    expect([f.width, f.height, f.channels, f.bitDepth]).toEqual([64, 48, 3, 8]);
    expect(Array.from(f.data.slice(0, 3))).toEqual([180, 20, 200]);

    // Written under a temporary name, then renamed: only the final name is picked up.
    const next = camera.snap();
    writeFileSync(join(dir, 'next.png.part'), await rgbPng(8, 8, 10));
    await sleep(400);
    renameSync(join(dir, 'next.png.part'), join(dir, 'next.png'));
    const g = await next;
    expect(g.meta?.file).toBe(join(dir, 'next.png'));
    expect(g.data[0]).toBe(10);
  });

  it('does not return files saved before snap() was called', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'old.png'), await rgbPng(16, 12, 1));
    camera = new FolderCamera({ folder: dir, stableMs: 80, pollMs: 20, timeoutMs: 5000, pixelSizeUm: 2 });
    await camera.open();
    // The shape is known from the newest file already there.
    expect(camera.info()).toMatchObject({ width: 16, height: 12, channels: 3 });
    writeFileSync(join(dir, 'before.png'), await rgbPng(16, 12, 2));
    await sleep(300);
    expect(camera.skippedFiles()).toBe(1);
    const snap = camera.snap();
    await sleep(40);
    writeFileSync(join(dir, 'after.png'), await rgbPng(16, 12, 3));
    const f = await snap;
    expect(f.data[0]).toBe(3);
    expect(f.pixelSizeUm).toBe(2);
    expect(f.meta?.pixelSizeFrom).toBe('profile');
  });

  it('times out with a clear error when no new image arrives', async () => {
    camera = new FolderCamera({ folder: folder(), pollMs: 20, timeoutMs: 200, pixelSizeUm: 1 });
    await camera.open();
    const err = await camera.snap().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HardwareError);
    expect((err as HardwareError).message).toMatch(/No new image appeared .* within 200 ms/);
  });

  it('says what is missing when neither a sidecar nor the profile gives the pixel size', async () => {
    const dir = folder();
    camera = new FolderCamera({ folder: dir, stableMs: 60, pollMs: 20, timeoutMs: 5000 });
    await camera.open();
    const snap = camera.snap();
    await sleep(30);
    writeFileSync(join(dir, 'a.png'), await rgbPng(8, 8, 5));
    const err = (await snap.catch((e: unknown) => e)) as HardwareError;
    expect(err.kind).toBe('capture');
    expect(err.message).toMatch(/pixel size of a.png is unknown.*pixel_size_um/);
  });

  it('decodes 16-bit TIFF too, and refuses a folder that does not exist', async () => {
    const dir = folder();
    camera = new FolderCamera({ folder: dir, stableMs: 60, pollMs: 20, timeoutMs: 5000, pixelSizeUm: 1 });
    await camera.open();
    const snap = camera.snap();
    await sleep(30);
    writeFileSync(join(dir, 'x.tif'), grey16Tiff(2, 2, new Uint16Array([0, 1000, 40000, 65535])));
    const f = await snap;
    expect(f.bitDepth).toBe(16);
    expect(Array.from(f.data)).toEqual([0, 1000, 40000, 65535]);
    await expect(new FolderCamera({ folder: join(dir, 'missing') }).open()).rejects.toMatchObject({ kind: 'config' });
  });
});
