/**
 * Simulated camera: renders the field under the XY stage's current position at the Z stage's current mechanical
 * defocus through the optics and the camera model. Frame.meta carries the simulator's truth (true defocus at the
 * field centre, z_focus, mechanical vs reported z) so tests and autofocus benchmarks can read the real residual.
 */
import type { OpticalSetup } from '../../shared/optics';
import { CameraModelOptionsSchema } from '../../shared/optics';
import { type ResolvedCameraModel } from '../optics/camera-model';
import type { FrameEngine } from '../optics/engine';
import type { Tilt } from '../optics/frame';
import { mixSeed } from '../optics/rng';
import { HardwareError, type Camera, type CameraInfo, type Frame } from '../types';
import { simSleep, type FaultInjector } from './faults';
import type { SimXYStage } from './sim-xy-stage';
import type { SimZStage } from './sim-z-stage';

export interface SimCameraOptions {
  setup: OpticalSetup;
  engine: FrameEngine;
  zStage: SimZStage;
  xyStage: SimXYStage;
  zFocusUm: () => number;
  camera: ResolvedCameraModel;
  tilt: Tilt;
  model: 'fast' | 'abbe';
  seed: number;
  timeScale: number;
  faults: FaultInjector;
}

export class SimCamera implements Camera {
  private opened = false;
  private frameIndex = 0;
  private exposureMs: number;

  constructor(private readonly o: SimCameraOptions) {
    this.exposureMs = o.camera.exposureMs;
  }

  async open(): Promise<void> {
    this.opened = true;
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  isOpen(): boolean {
    return this.opened;
  }

  info(): CameraInfo {
    const g = this.o.engine.geometry;
    return {
      kind: 'sim',
      name: `Virtual microscope camera (${this.o.setup.name})`,
      width: g.outWidth,
      height: g.outHeight,
      channels: this.o.setup.colour ? 3 : 1,
      bitDepth: this.o.setup.bitDepth,
      pixelPitchUm: this.o.setup.pixelPitchUm,
      pixelSizeUm: g.cameraPixelUm,
    };
  }

  getExposureMs(): number {
    return this.exposureMs;
  }

  async setExposureMs(ms: number): Promise<void> {
    const r = CameraModelOptionsSchema.shape.exposureMs.safeParse(ms);
    if (!r.success || typeof ms !== 'number')
      throw new HardwareError('config', `Exposure must be a finite number of ms within 0..60000, got ${ms}`);
    this.exposureMs = ms;
  }

  async snap(): Promise<Frame> {
    if (!this.opened) throw new HardwareError('disconnected', 'Simulated camera is not open');
    const f = this.o.faults;
    if (f.fires('camera.disconnect')) {
      this.opened = false;
      throw new HardwareError('disconnected', 'Simulated camera: connection lost (simulated)');
    }
    if (f.fires('camera.snap'))
      throw new HardwareError('capture', 'Simulated camera: frame capture failed (simulated)');
    const zMech = this.o.zStage.mechanicalPosition();
    const zFocus = this.o.zFocusUm();
    const xy = this.o.xyStage.positionNow();
    const defocusUm = zMech - zFocus;
    const index = this.frameIndex++;
    const seed = mixSeed(this.o.seed, index);
    await simSleep(this.exposureMs, this.o.timeScale);
    // Frame.timestamp is when the exposure ended, not when the rendering did (settle-time measurements use it).
    const exposureEndedAt = Date.now();
    let img;
    try {
      img = await this.o.engine.renderFrame(
        { defocusUm, xUm: xy.xUm, yUm: xy.yUm, tilt: this.o.tilt, model: this.o.model },
        { ...this.o.camera, exposureMs: this.exposureMs },
        this.o.setup.bitDepth,
        seed,
      );
    } catch (e) {
      throw new HardwareError('capture', `Simulated camera could not render the frame: ${(e as Error).message}`);
    }
    let zReported: number | undefined;
    try {
      zReported = await this.o.zStage.position();
    } catch {
      zReported = undefined;
    }
    return {
      width: img.width,
      height: img.height,
      channels: img.channels,
      bitDepth: img.bitDepth,
      data: img.data,
      // only when set: absent, the bit depth implies what the camera model wrote (sRGB at 8 bits, else linear)
      ...(this.o.camera.outputEncoding ? { encoding: this.o.camera.outputEncoding } : {}),
      pixelSizeUm: this.o.engine.geometry.cameraPixelUm,
      exposureMs: this.exposureMs,
      timestamp: exposureEndedAt,
      ...(zReported !== undefined ? { zUm: zReported } : {}),
      meta: {
        simulator: true,
        trueDefocusUm: defocusUm,
        zFocusUm: zFocus,
        zMechanicalUm: zMech,
        xUm: xy.xUm,
        yUm: xy.yUm,
        tiltUmPerMm: { ...this.o.tilt },
        setupId: this.o.setup.id,
        model: this.o.model,
        frameIndex: index,
        noiseSeed: seed,
      },
    };
  }
}
