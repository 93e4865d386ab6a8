/**
 * Camera for microscopes whose vendor software saves the images: snap() waits for the next new,
 * complete image file in a watched folder and decodes it. Pixel size comes from a sidecar JSON
 * ("<name>.json" with pixel_size_um) or, failing that, from the profile.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { HardwareError, type Camera, type CameraInfo, type Frame } from '../types';
import { decodeImageFile } from './folder/decode';
import { readSidecar } from './folder/sidecar';
import { IMAGE_EXTENSIONS, isTemporaryName, NewFileWatcher, type CompleteFile } from './folder/watch';

export interface FolderCameraOptions {
  folder: string;
  /** um per pixel when an image has no sidecar. */
  pixelSizeUm?: number;
  pixelPitchUm?: number;
  /** A file is complete once its size has not changed for this long (ms). */
  stableMs?: number;
  pollMs?: number;
  /** Longest wait in snap() for a new file (ms). */
  timeoutMs?: number;
  extensions?: string[];
  name?: string;
}

interface Waiter {
  since: number;
  resolve: (f: Frame) => void;
  reject: (e: HardwareError) => void;
  timer: NodeJS.Timeout;
}

const DECODE_ATTEMPTS = 3;

export class FolderCamera implements Camera {
  private watcher: NewFileWatcher | null = null;
  private waiters: Waiter[] = [];
  private exposureMs = 0;
  private shape: Pick<CameraInfo, 'width' | 'height' | 'channels' | 'bitDepth'> = {
    width: 1,
    height: 1,
    channels: 1,
    bitDepth: 8,
  };
  private decodeFailures = new Map<string, number>();
  /** Files completed while nobody was waiting (they were saved before the snap that would want them). */
  private skipped = 0;

  constructor(private readonly options: FolderCameraOptions) {
    if (options.pixelSizeUm !== undefined && !(options.pixelSizeUm > 0)) {
      throw new HardwareError('config', `pixel size must be a positive number of um, got ${options.pixelSizeUm}`);
    }
  }

  async open(): Promise<void> {
    if (this.watcher) return;
    let isDir = false;
    try {
      isDir = statSync(this.options.folder).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir)
      throw new HardwareError('config', `The watched folder ${this.options.folder} does not exist or is not a folder`);
    await this.learnShapeFromNewest();
    this.watcher = new NewFileWatcher(this.options.folder, (f) => void this.onComplete(f), {
      stableMs: this.options.stableMs ?? 300,
      pollMs: this.options.pollMs ?? 100,
      extensions: this.options.extensions,
    });
    this.watcher.start();
  }

  async close(): Promise<void> {
    this.watcher?.stop();
    this.watcher = null;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      clearTimeout(w.timer);
      w.reject(new HardwareError('capture', 'the camera was closed'));
    }
  }

  isOpen(): boolean {
    return this.watcher !== null;
  }

  info(): CameraInfo {
    return {
      kind: 'folder',
      name: this.options.name ?? `folder ${this.options.folder}`,
      ...this.shape,
      pixelPitchUm: this.options.pixelPitchUm ?? 0,
      pixelSizeUm: this.options.pixelSizeUm ?? 0,
    };
  }

  getExposureMs(): number {
    return this.exposureMs;
  }

  /** The vendor software sets the exposure; this only records what the operator says it is. */
  async setExposureMs(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms <= 0)
      throw new HardwareError('config', `exposure must be a positive number of ms, got ${ms}`);
    this.exposureMs = ms;
  }

  /** How many complete files arrived while no snap was waiting. */
  skippedFiles(): number {
    return this.skipped;
  }

  snap(): Promise<Frame> {
    if (!this.watcher) return Promise.reject(new HardwareError('capture', 'the camera is not open'));
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new HardwareError('capture', `No new image appeared in ${this.options.folder} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({ since: Date.now(), resolve, reject, timer });
    });
  }

  private async onComplete(file: CompleteFile): Promise<void> {
    const waiter = this.waiters.find((w) => file.firstSeen >= w.since);
    if (!waiter) {
      this.skipped++;
      return;
    }
    let frame: Frame;
    try {
      frame = await this.toFrame(file);
    } catch (err) {
      const n = (this.decodeFailures.get(file.name) ?? 0) + 1;
      this.decodeFailures.set(file.name, n);
      if (n < DECODE_ATTEMPTS) {
        // Probably still being written in place with pauses longer than stableMs: look again later.
        this.watcher?.retry(file.name);
        return;
      }
      this.settle(waiter, null, err instanceof HardwareError ? err : new HardwareError('capture', String(err)));
      return;
    }
    this.settle(waiter, frame, null);
  }

  private settle(waiter: Waiter, frame: Frame | null, err: HardwareError | null): void {
    if (!this.waiters.includes(waiter)) return;
    this.waiters = this.waiters.filter((w) => w !== waiter);
    clearTimeout(waiter.timer);
    if (frame) waiter.resolve(frame);
    else waiter.reject(err!);
  }

  private async toFrame(file: CompleteFile): Promise<Frame> {
    const image = await decodeImageFile(file.path);
    const sidecar = readSidecar(file.path);
    const pixelSizeUm = sidecar.pixelSizeUm ?? this.options.pixelSizeUm;
    if (pixelSizeUm === undefined) {
      throw new HardwareError(
        'capture',
        `The pixel size of ${file.name} is unknown: write "pixel_size_um" into ${file.name.replace(/\.[^.]+$/, '')}.json or set it in the camera profile`,
      );
    }
    this.shape = { width: image.width, height: image.height, channels: image.channels, bitDepth: image.bitDepth };
    return {
      ...image,
      pixelSizeUm,
      exposureMs: sidecar.exposureMs ?? this.exposureMs,
      timestamp: Date.now(),
      meta: {
        source: 'folder',
        file: file.path,
        pixelSizeFrom: sidecar.pixelSizeUm !== undefined ? 'sidecar' : 'profile',
      },
    };
  }

  /** Reads the size of the newest image already in the folder, so info() is right before the first snap. */
  private async learnShapeFromNewest(): Promise<void> {
    const exts = this.options.extensions ?? IMAGE_EXTENSIONS;
    let newest: { path: string; mtime: number } | null = null;
    for (const name of readdirSync(this.options.folder)) {
      if (isTemporaryName(name) || !exts.includes(extname(name).toLowerCase())) continue;
      const path = join(this.options.folder, name);
      const mtime = statSync(path).mtimeMs;
      if (!newest || mtime > newest.mtime) newest = { path, mtime };
    }
    if (!newest) return;
    try {
      const m = await sharp(newest.path).metadata();
      if (m.width && m.height) {
        const sixteen = m.depth === 'ushort' || m.depth === 'short';
        this.shape = {
          width: m.width,
          height: m.height,
          channels: (m.channels ?? 3) <= 2 ? 1 : 3,
          bitDepth: sixteen ? 16 : 8,
        };
      }
    } catch {
      // An unreadable old file says nothing about the new ones.
    }
  }
}
