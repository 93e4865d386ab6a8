import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setV4l2Controls, v4l2ExposureControlSets } from '../../../src/hardware/camera/ffmpeg/controls';
import {
  parseAvfoundationDevices,
  parseDshowDevices,
  parseV4l2Formats,
} from '../../../src/hardware/camera/ffmpeg/devices';
import { RawFrameReader, type RawFrame } from '../../../src/hardware/camera/ffmpeg/frame-reader';
import { captureArgs, inputArgs } from '../../../src/hardware/camera/ffmpeg/inputs';
import { findFfmpeg } from '../../../src/hardware/camera/ffmpeg/locate';

describe('RawFrameReader', () => {
  it('cuts frames across arbitrary chunk boundaries', () => {
    const frames: RawFrame[] = [];
    const r = new RawFrameReader(4, 2, 'rgb24', (f) => frames.push(f));
    const bytes = Buffer.from(Array.from({ length: 4 * 2 * 3 * 3 }, (_, i) => i % 256));
    r.push(bytes.subarray(0, 0)); // an empty chunk is harmless
    let at = 0;
    for (const n of [5, 1, 30, 7, 29]) {
      r.push(bytes.subarray(at, at + n));
      at += n;
    }
    expect(at).toBe(72);
    expect(frames).toHaveLength(3);
    expect(Array.from(frames[1].data.slice(0, 3))).toEqual([24, 25, 26]);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2]);
  });

  it('decodes gray16le little-endian', () => {
    const frames: RawFrame[] = [];
    const r = new RawFrameReader(2, 1, 'gray16le', (f) => frames.push(f));
    r.push(Buffer.from([0x34, 0x12, 0xff, 0xff]));
    expect(Array.from(frames[0].data)).toEqual([0x1234, 0xffff]);
    expect(frames[0].bitDepth).toBe(16);
  });
});

describe('ffmpeg input arguments', () => {
  it('builds per-platform inputs with size, rate and format', () => {
    expect(
      inputArgs({ kind: 'v4l2', device: '/dev/video0', width: 1280, height: 720, frameRate: 30, inputFormat: 'mjpeg' }),
    ).toEqual([
      '-f',
      'v4l2',
      '-input_format',
      'mjpeg',
      '-framerate',
      '30',
      '-video_size',
      '1280x720',
      '-i',
      '/dev/video0',
    ]);
    expect(inputArgs({ kind: 'dshow', device: 'USB Camera' })).toEqual(['-f', 'dshow', '-i', 'video=USB Camera']);
    expect(inputArgs({ kind: 'avfoundation', device: '0' })).toEqual(['-f', 'avfoundation', '-i', '0:none']);
    const args = captureArgs({ kind: 'lavfi', graph: 'testsrc2' }, { format: 'gray16le', width: 8, height: 6 });
    expect(args.slice(-7)).toEqual(['-vf', 'scale=8:6', '-f', 'rawvideo', '-pix_fmt', 'gray16le', 'pipe:1']);
    expect(args).toContain('-nostdin');
  });
});

describe('device listing parsers', () => {
  it('parses ffmpeg -list_formats output of a UVC camera', () => {
    const text = [
      '[video4linux2,v4l2 @ 0x55d1c8e0] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 320x240 1280x720',
      '[video4linux2,v4l2 @ 0x55d1c8e0] Compressed:       mjpeg :          Motion-JPEG : 1920x1080 640x480',
      '/dev/video0: Immediate exit requested',
    ].join('\n');
    const f = parseV4l2Formats(text);
    expect(f).toHaveLength(2);
    expect(f[0]).toMatchObject({ type: 'Raw', pixelFormat: 'yuyv422', description: 'YUYV 4:2:2' });
    expect(f[0].sizes).toEqual([
      { width: 640, height: 480 },
      { width: 320, height: 240 },
      { width: 1280, height: 720 },
    ]);
    expect(f[1].sizes[0]).toEqual({ width: 1920, height: 1080 });
  });

  it('parses DirectShow listings in the new and the old format, video only', () => {
    const modern = [
      '[dshow @ 000001] "Integrated Camera" (video)',
      '[dshow @ 000001]   Alternative name "@device_pnp_\\\\?\\usb#vid_04f2"',
      '[dshow @ 000001] "Microphone (Realtek Audio)" (audio)',
      '[dshow @ 000001] "OBS Virtual Camera" (audio, video)',
    ].join('\r\n');
    expect(parseDshowDevices(modern)).toEqual(['Integrated Camera', 'OBS Virtual Camera']);
    const old = [
      '[dshow @ 0x1] DirectShow video devices (some may be both video and audio devices)',
      '[dshow @ 0x1]  "USB2.0 Camera"',
      '[dshow @ 0x1]     Alternative name "@device_pnp_x"',
      '[dshow @ 0x1] DirectShow audio devices',
      '[dshow @ 0x1]  "Microphone"',
    ].join('\n');
    expect(parseDshowDevices(old)).toEqual(['USB2.0 Camera']);
  });

  it('parses AVFoundation listings, video only', () => {
    const text = [
      '[AVFoundation indev @ 0x7f8] AVFoundation video devices:',
      '[AVFoundation indev @ 0x7f8] [0] FaceTime HD Camera',
      '[AVFoundation indev @ 0x7f8] [1] Capture screen 0',
      '[AVFoundation indev @ 0x7f8] AVFoundation audio devices:',
      '[AVFoundation indev @ 0x7f8] [0] Built-in Microphone',
    ].join('\n');
    expect(parseAvfoundationDevices(text)).toEqual([
      { index: 0, name: 'FaceTime HD Camera' },
      { index: 1, name: 'Capture screen 0' },
    ]);
  });
});

describe('findFfmpeg', () => {
  it('finds ffmpeg on the PATH and names the fix when it is missing', () => {
    expect(findFfmpeg()).toMatch(/ffmpeg$/);
    expect(() => findFfmpeg({ env: { PATH: '/nonexistent' }, platform: 'linux' })).toThrow(/apt-get install ffmpeg/);
  });
});

describe('v4l2 exposure controls', () => {
  it('falls back to the older control names when the newer ones are rejected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-v4l2ctl-'));
    const log = join(dir, 'calls.log');
    const bin = join(dir, 'v4l2-ctl');
    writeFileSync(
      bin,
      `#!/bin/sh\necho "$@" >> ${log}\ncase "$*" in *exposure_time_absolute*) echo "unknown control 'auto_exposure'" >&2; exit 1;; esac\nexit 0\n`,
    );
    chmodSync(bin, 0o755);
    await setV4l2Controls('/dev/video9', v4l2ExposureControlSets(12.5), bin);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toHaveLength(2);
    expect(calls[1]).toBe('-d /dev/video9 -c exposure_auto=1 -c exposure_absolute=125');
  });

  it('says v4l-utils is missing when v4l2-ctl is not installed', async () => {
    await expect(setV4l2Controls('/dev/video0', v4l2ExposureControlSets(1), '/nonexistent/v4l2-ctl')).rejects.toThrow(
      /v4l-utils/,
    );
  });
});
