/**
 * Camera listing without v4l2-ctl or vendor tools: /dev/video* plus
 * "ffmpeg -f v4l2 -list_formats all -i <dev>" on Linux, "ffmpeg -list_devices true -f dshow -i dummy"
 * on Windows, "ffmpeg -f avfoundation -list_devices true -i ''" on macOS. ffmpeg prints these
 * listings on stderr and exits with an error code, which is expected.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { platformInputKind } from './inputs';

export interface CameraFormat {
  /** "Raw" or "Compressed". */
  type: string;
  /** ffmpeg's name (yuyv422, mjpeg...): the v4l2 "-input_format". */
  pixelFormat: string;
  description: string;
  sizes: Array<{ width: number; height: number }>;
}

export interface CameraDevice {
  kind: 'v4l2' | 'dshow' | 'avfoundation';
  /** What goes into the camera profile's device field. */
  device: string;
  name: string;
  formats: CameraFormat[];
}

const PREFIX = /^\[[^\]]*\]\s?/;

export function parseV4l2Formats(stderr: string): CameraFormat[] {
  const out: CameraFormat[] = [];
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.replace(PREFIX, '');
    // Fields are separated by " : "; the description itself may contain colons ("YUYV 4:2:2").
    const parts = line.trim().split(/\s*:\s+/);
    if (parts.length < 4 || !/^(Raw|Compressed)$/.test(parts[0])) continue;
    const sizesText = parts.slice(3).join(' ');
    const sizes = [...sizesText.matchAll(/(\d+)x(\d+)/g)].map((s) => ({ width: Number(s[1]), height: Number(s[2]) }));
    out.push({ type: parts[0], pixelFormat: parts[1], description: parts[2], sizes });
  }
  return out;
}

export function parseDshowDevices(stderr: string): string[] {
  const names: string[] = [];
  let section: 'video' | 'audio' | null = null;
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.replace(PREFIX, '').trim();
    if (/DirectShow video devices/i.test(line)) section = 'video';
    else if (/DirectShow audio devices/i.test(line)) section = 'audio';
    if (/^Alternative name/i.test(line)) continue;
    // ffmpeg >= 5: "Name" (video) / (audio) / (audio, video); older: a quoted name under a section header.
    const tagged = /^"(.+)"\s+\(([^)]*)\)$/.exec(line);
    if (tagged) {
      if (/video/.test(tagged[2])) names.push(tagged[1]);
      continue;
    }
    const bare = /^"(.+)"$/.exec(line);
    if (bare && section === 'video') names.push(bare[1]);
  }
  return names;
}

export function parseAvfoundationDevices(stderr: string): Array<{ index: number; name: string }> {
  const out: Array<{ index: number; name: string }> = [];
  let inVideo = false;
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.replace(PREFIX, '').trim();
    if (/AVFoundation video devices/i.test(line)) {
      inVideo = true;
      continue;
    }
    if (/AVFoundation audio devices/i.test(line)) inVideo = false;
    const m = /^\[(\d+)\]\s+(.+)$/.exec(line);
    if (m && inVideo) out.push({ index: Number(m[1]), name: m[2] });
  }
  return out;
}

function ffmpegStderr(ffmpeg: string, args: string[], timeoutMs = 8000): Promise<string> {
  return new Promise((resolve) => {
    execFile(ffmpeg, ['-hide_banner', ...args], { timeout: timeoutMs }, (_err, _stdout, stderr) =>
      resolve(String(stderr)),
    );
  });
}

export interface ListCamerasOptions {
  ffmpegPath: string;
  platform?: NodeJS.Platform;
  devDir?: string;
}

export async function listCameras(options: ListCamerasOptions): Promise<CameraDevice[]> {
  const kind = platformInputKind(options.platform);
  if (kind === 'v4l2') {
    const devDir = options.devDir ?? '/dev';
    let nodes: string[] = [];
    try {
      nodes = readdirSync(devDir).filter((n) => /^video\d+$/.test(n));
    } catch {
      nodes = [];
    }
    nodes.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    const devices: CameraDevice[] = [];
    for (const n of nodes) {
      const device = join(devDir, n);
      const formats = parseV4l2Formats(
        await ffmpegStderr(options.ffmpegPath, ['-f', 'v4l2', '-list_formats', 'all', '-i', device]),
      );
      // Metadata nodes of UVC cameras list no formats: not a capture device.
      if (formats.length > 0) devices.push({ kind, device, name: n, formats });
    }
    return devices;
  }
  if (kind === 'dshow') {
    const names = parseDshowDevices(
      await ffmpegStderr(options.ffmpegPath, ['-list_devices', 'true', '-f', 'dshow', '-i', 'dummy']),
    );
    return names.map((name) => ({ kind, device: name, name, formats: [] }));
  }
  const list = parseAvfoundationDevices(
    await ffmpegStderr(options.ffmpegPath, ['-f', 'avfoundation', '-list_devices', 'true', '-i', '']),
  );
  return list.map((d) => ({ kind, device: String(d.index), name: d.name, formats: [] }));
}
