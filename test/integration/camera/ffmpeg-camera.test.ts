/** The ffmpeg camera with a synthetic lavfi source through the same frame reader a real camera uses. */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FfmpegCamera } from '../../../src/hardware/camera/ffmpeg-camera';
import { HardwareError } from '../../../src/hardware/types';

let camera: FfmpegCamera | null = null;
afterEach(async () => {
  await camera?.close();
  camera = null;
});

const testsrc = (w: number, h: number, rate = 10) => ({
  kind: 'lavfi' as const,
  graph: `testsrc2=size=${w}x${h}:rate=${rate}`,
});

function variance(data: ArrayLike<number>): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < data.length; i++) {
    s += data[i];
    s2 += data[i] * data[i];
  }
  const m = s / data.length;
  return s2 / data.length - m * m;
}

describe('FfmpegCamera (lavfi testsrc2)', () => {
  it('delivers RGB frames of the announced size, a new one per snap', async () => {
    camera = new FfmpegCamera({
      input: testsrc(640, 480),
      width: 640,
      height: 480,
      pixelFormat: 'rgb24',
      pixelSizeUm: 0.5,
    });
    await camera.open();
    const a = await camera.snap();
    const b = await camera.snap();
    expect(a.width).toBe(640);
    expect(a.height).toBe(480);
    expect(a.channels).toBe(3);
    expect(a.bitDepth).toBe(8);
    expect(a.data.length).toBe(640 * 480 * 3);
    expect(a.pixelSizeUm).toBe(0.5);
    expect(variance(a.data)).toBeGreaterThan(100);
    // testsrc2 animates: consecutive snaps are different frames.
    expect(b.meta?.frameIndex).not.toBe(a.meta?.frameIndex);
    expect(Buffer.compare(Buffer.from(a.data.buffer), Buffer.from(b.data.buffer))).not.toBe(0);
    expect(b.timestamp).toBeGreaterThanOrEqual(a.timestamp);
  });

  it('scales to the requested size and delivers grey 8-bit and 16-bit frames', async () => {
    camera = new FfmpegCamera({
      input: testsrc(640, 480),
      width: 320,
      height: 240,
      pixelFormat: 'gray',
      pixelSizeUm: 1,
    });
    await camera.open();
    const g = await camera.snap();
    expect([g.width, g.height, g.channels, g.bitDepth, g.data.length]).toEqual([320, 240, 1, 8, 320 * 240]);
    await camera.close();

    camera = new FfmpegCamera({
      input: testsrc(320, 240),
      width: 320,
      height: 240,
      pixelFormat: 'gray16le',
      pixelSizeUm: 1,
    });
    await camera.open();
    const g16 = await camera.snap();
    expect(g16.bitDepth).toBe(16);
    expect(g16.data).toBeInstanceOf(Uint16Array);
    expect(g16.data.length).toBe(320 * 240);
    // Real 16-bit values, not 8-bit ones in a wider array.
    expect(Math.max(...Array.from(g16.data.slice(0, 5000)))).toBeGreaterThan(255);
  });

  it('restarts cleanly when the ffmpeg process dies', async () => {
    camera = new FfmpegCamera({
      input: testsrc(160, 120, 20),
      width: 160,
      height: 120,
      pixelFormat: 'rgb24',
      pixelSizeUm: 1,
    });
    await camera.open();
    await camera.snap();
    const pid = camera.pid()!;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const after = await camera.snap();
    expect(after.width).toBe(160);
    expect(camera.pid()).not.toBe(pid);
    expect(camera.restartCount()).toBe(1);
    // Killed while a snap is waiting: the waiting snap still gets a frame.
    const waiting = camera.snap();
    process.kill(camera.pid()!, 'SIGKILL');
    expect((await waiting).width).toBe(160);
  });

  it('waits longer for the first frame after ffmpeg starts than between frames', async () => {
    // ffmpeg that takes 1.2 s before it runs, as opening a USB camera or a busy machine does.
    const dir = mkdtempSync(join(tmpdir(), 'slow-ffmpeg-'));
    const slow = join(dir, 'ffmpeg');
    writeFileSync(slow, '#!/bin/sh\nsleep 1.2\nexec ffmpeg "$@"\n');
    chmodSync(slow, 0o755);
    const options = {
      input: testsrc(64, 48, 20),
      width: 64,
      height: 48,
      pixelFormat: 'gray' as const,
      pixelSizeUm: 1,
      ffmpegPath: slow,
      frameTimeoutMs: 400,
    };
    camera = new FfmpegCamera({ ...options, startTimeoutMs: 400 });
    await expect(camera.open()).rejects.toThrow(/No frame from the camera within 400 ms/);
    camera = new FfmpegCamera({ ...options, startTimeoutMs: 20_000 });
    await camera.open();
    // Frames flow: the next snap needs only the frame timeout.
    expect((await camera.snap()).width).toBe(64);
  });

  it('reports a clear capture error when the input cannot be opened', async () => {
    camera = new FfmpegCamera({
      input: { kind: 'v4l2', device: '/dev/video-does-not-exist' },
      width: 64,
      height: 48,
      pixelFormat: 'gray',
      pixelSizeUm: 1,
      frameTimeoutMs: 3000,
    });
    const err = await camera.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HardwareError);
    expect((err as HardwareError).kind).toBe('capture');
    expect((err as HardwareError).message).toMatch(/video-does-not-exist|ffmpeg/);
    expect(camera.isOpen()).toBe(false);
  });

  it('says clearly when ffmpeg is missing at the configured path', () => {
    expect(
      () =>
        new FfmpegCamera({
          input: testsrc(64, 48),
          width: 64,
          height: 48,
          pixelFormat: 'gray',
          pixelSizeUm: 1,
          ffmpegPath: '/nope/ffmpeg',
        }),
    ).toThrow(/ffmpeg was not found at the configured path \/nope\/ffmpeg/);
  });

  it('records exposure on inputs that cannot set it, and says so', async () => {
    camera = new FfmpegCamera({ input: testsrc(64, 48), width: 64, height: 48, pixelFormat: 'gray', pixelSizeUm: 1 });
    await camera.open();
    await camera.setExposureMs(25);
    const f = await camera.snap();
    expect(f.exposureMs).toBe(25);
    expect(f.meta?.exposureApplied).toBe(false);
    expect(camera.controlsStatus().note).toMatch(/cannot be set/);
    await expect(camera.setExposureMs(-1)).rejects.toMatchObject({ kind: 'config' });
  });
});
