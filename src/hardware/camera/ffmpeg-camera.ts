/**
 * Camera over an ffmpeg child process that writes raw frames to stdout: V4L2 on Linux, DirectShow
 * on Windows, AVFoundation on macOS, or any other ffmpeg input (tests use lavfi's testsrc2).
 * The process runs continuously; snap() returns the first frame that arrives after the call.
 * When ffmpeg dies, the next snap restarts it once before giving up with a clear error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { HardwareError, type Camera, type CameraInfo, type Frame } from '../types';
import { setV4l2Controls, v4l2ExposureControlSets, type CameraControls } from './ffmpeg/controls';
import { RawFrameReader, type RawFrame } from './ffmpeg/frame-reader';
import { captureArgs, type FfmpegInput, type RawPixelFormat } from './ffmpeg/inputs';
import { findFfmpeg } from './ffmpeg/locate';

export interface FfmpegCameraOptions {
  input: FfmpegInput;
  /** Output frame size; ffmpeg scales to it, so every frame has exactly this size. */
  width: number;
  height: number;
  pixelFormat: RawPixelFormat;
  /** um per pixel at the sample. */
  pixelSizeUm: number;
  /** Physical sensor pixel pitch (um), 0 when unknown. */
  pixelPitchUm?: number;
  ffmpegPath?: string;
  exposureMs?: number;
  gain?: number;
  /** Longest wait for a frame once frames flow (ms; default 5000). */
  frameTimeoutMs?: number;
  /**
   * Longest wait for the first frame after ffmpeg (re)starts (ms; default 15000, and never below frameTimeoutMs):
   * opening a USB camera, or ffmpeg starting on a busy machine, takes seconds before any frame arrives.
   */
  startTimeoutMs?: number;
  name?: string;
  /** v4l2-ctl binary (tests may point it elsewhere). */
  v4l2CtlPath?: string;
}

interface Waiter {
  after: number;
  resolve: (f: RawFrame) => void;
  reject: (e: HardwareError) => void;
  timer: NodeJS.Timeout;
}

const STDERR_KEPT = 4000;

export class FfmpegCamera implements Camera {
  private child: ChildProcess | null = null;
  private latest: RawFrame | null = null;
  /** No frame has arrived since ffmpeg last (re)started: waits get the start's timeout. */
  private starting = false;
  private waiters: Waiter[] = [];
  private stderrTail = '';
  private exitReason: string | null = null;
  private opened = false;
  private exposureMs: number;
  private restarts = 0;
  private restartTimes: number[] = [];
  private controls: CameraControls = { applied: false, note: 'not set' };
  private readonly ffmpeg: string;

  constructor(private readonly options: FfmpegCameraOptions) {
    if (!(
      options.width > 0 &&
      options.height > 0 &&
      Number.isInteger(options.width) &&
      Number.isInteger(options.height)
    )) {
      throw new HardwareError(
        'config',
        `camera frame size must be positive whole pixels, got ${options.width}x${options.height}`,
      );
    }
    if (!(options.pixelSizeUm > 0)) {
      throw new HardwareError(
        'config',
        `camera pixel size must be a positive number of um, got ${options.pixelSizeUm}`,
      );
    }
    this.ffmpeg = findFfmpeg({ configuredPath: options.ffmpegPath });
    this.exposureMs = options.exposureMs ?? 10;
  }

  async open(): Promise<void> {
    if (this.opened) return;
    this.opened = true;
    this.start();
    try {
      await this.nextFrame(0);
      await this.applyControls();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    this.opened = false;
    this.failWaiters(new HardwareError('capture', 'the camera was closed'));
    await this.stop();
  }

  isOpen(): boolean {
    return this.opened;
  }

  info(): CameraInfo {
    const o = this.options;
    return {
      kind: 'ffmpeg',
      name: o.name ?? describeInput(o.input),
      width: o.width,
      height: o.height,
      channels: o.pixelFormat === 'rgb24' ? 3 : 1,
      bitDepth: o.pixelFormat === 'gray16le' ? 16 : 8,
      pixelPitchUm: o.pixelPitchUm ?? 0,
      pixelSizeUm: o.pixelSizeUm,
    };
  }

  getExposureMs(): number {
    return this.exposureMs;
  }

  /** Whether exposure/gain actually reached the device, and why not. */
  controlsStatus(): CameraControls {
    return { ...this.controls };
  }

  async setExposureMs(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms <= 0)
      throw new HardwareError('config', `exposure must be a positive number of ms, got ${ms}`);
    this.exposureMs = ms;
    if (this.opened) await this.applyControls();
  }

  /** The ffmpeg process id (tests kill it to check recovery). */
  pid(): number | undefined {
    return this.child?.pid;
  }

  restartCount(): number {
    return this.restarts;
  }

  async snap(): Promise<Frame> {
    if (!this.opened) throw new HardwareError('capture', 'the camera is not open');
    const requestedAt = Date.now();
    if (!this.child) {
      // ffmpeg died since the last frame: restart it cleanly before giving up.
      if (!this.mayRestart()) {
        throw new HardwareError('capture', `The camera keeps failing: ${this.exitReason ?? 'ffmpeg exited'}`);
      }
      this.restarts++;
      this.start();
    }
    const raw = await this.nextFrame(requestedAt);
    return {
      width: raw.width,
      height: raw.height,
      channels: raw.channels,
      bitDepth: raw.bitDepth,
      data: raw.data,
      pixelSizeUm: this.options.pixelSizeUm,
      exposureMs: this.exposureMs,
      timestamp: raw.receivedAt,
      meta: {
        source: 'ffmpeg',
        frameIndex: raw.index,
        restarts: this.restarts,
        exposureApplied: this.controls.applied,
      },
    };
  }

  // ---- process ----

  private start(): void {
    const o = this.options;
    const args = captureArgs(o.input, { format: o.pixelFormat, width: o.width, height: o.height });
    const child = spawn(this.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.starting = true;
    this.exitReason = null;
    this.stderrTail = '';
    const reader = new RawFrameReader(o.width, o.height, o.pixelFormat, (f) => this.onFrame(f));
    child.stdout!.on('data', (chunk: Buffer) => reader.push(chunk));
    child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-STDERR_KEPT);
    });
    child.on('error', (err) => this.onExit(child, `ffmpeg could not run: ${err.message}`));
    child.on('exit', (code, signal) => {
      const why = signal ? `was killed (${signal})` : `exited with code ${code}`;
      const detail = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
      this.onExit(child, `ffmpeg ${why}${detail ? `: ${detail}` : ''}`);
    });
  }

  private onExit(child: ChildProcess, reason: string): void {
    if (this.child !== child) return;
    this.child = null;
    this.exitReason = reason;
    // Someone is waiting for a frame: restart at once, unless ffmpeg keeps dying (then say why).
    if (this.opened && this.waiters.length > 0 && this.mayRestart()) {
      this.restarts++;
      this.start();
      return;
    }
    this.failWaiters(new HardwareError('capture', `The camera stopped delivering frames: ${reason}`));
  }

  /** At most 3 restarts in 10 s: a camera that keeps failing must surface its error, not loop. */
  private mayRestart(): boolean {
    const now = Date.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < 10_000);
    if (this.restartTimes.length >= 3) return false;
    this.restartTimes.push(now);
    return true;
  }

  private stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 1000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private onFrame(frame: RawFrame): void {
    this.latest = frame;
    this.starting = false;
    const ready = this.waiters.filter((w) => frame.receivedAt >= w.after);
    this.waiters = this.waiters.filter((w) => frame.receivedAt < w.after);
    for (const w of ready) {
      clearTimeout(w.timer);
      w.resolve(frame);
    }
  }

  private nextFrame(after: number): Promise<RawFrame> {
    return new Promise((resolve, reject) => {
      if (!this.child) {
        reject(new HardwareError('capture', `The camera is not running: ${this.exitReason ?? 'not started'}`));
        return;
      }
      const frameTimeoutMs = this.options.frameTimeoutMs ?? 5000;
      const timeoutMs = this.starting
        ? Math.max(frameTimeoutMs, this.options.startTimeoutMs ?? 15_000)
        : frameTimeoutMs;
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        const detail = this.stderrTail.trim().split('\n').slice(-2).join(' | ');
        reject(
          new HardwareError(
            'capture',
            `No frame from the camera within ${timeoutMs} ms${detail ? ` (ffmpeg: ${detail})` : ''}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push({ after, resolve, reject, timer });
    });
  }

  private failWaiters(err: HardwareError): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private async applyControls(): Promise<void> {
    const input = this.options.input;
    if (input.kind !== 'v4l2') {
      this.controls = {
        applied: false,
        note: `exposure and gain cannot be set through ffmpeg's ${input.kind} input; recorded only`,
      };
      return;
    }
    const sets = v4l2ExposureControlSets(this.exposureMs);
    if (this.options.gain !== undefined) for (const s of sets) s.gain = this.options.gain;
    try {
      await setV4l2Controls(input.device, sets, this.options.v4l2CtlPath);
      this.controls = { applied: true, note: 'set with v4l2-ctl' };
    } catch (err) {
      // The camera still works with its automatic exposure; the frames say it was not applied.
      this.controls = { applied: false, note: err instanceof Error ? err.message : String(err) };
    }
  }
}

function describeInput(input: FfmpegInput): string {
  return input.kind === 'lavfi' ? `ffmpeg lavfi ${input.graph}` : `${input.kind} ${input.device}`;
}
