/**
 * TEMPORARY stand-in devices for the foundation (issue 2), until the virtual microscope (issue 3) replaces them:
 * a test-pattern camera blurred with |z - z_focus| and an in-memory stage with soft limits. Not an optical model.
 */
import sharp from 'sharp';
import {
  assertWithinLimits,
  type AxisLimits,
  type Camera,
  type CameraInfo,
  type Frame,
  type XYPosition,
  type XYStage,
  type ZStage,
} from '../../hardware/types';
import type { Microscope } from './microscope';

class MemoryZStage implements ZStage {
  readonly name = 'Placeholder Z stage';
  private z = 0;
  constructor(private readonly lim: AxisLimits) {}
  async connect() {}
  async disconnect() {}
  isConnected() {
    return true;
  }
  limits() {
    return { ...this.lim };
  }
  settleMs() {
    return 0;
  }
  async position() {
    return this.z;
  }
  async moveTo(zUm: number) {
    assertWithinLimits(zUm, this.lim);
    this.z = zUm;
    return this.z;
  }
  async moveBy(dz: number) {
    return this.moveTo(this.z + dz);
  }
  async isBusy() {
    return false;
  }
  async stop() {}
}

class MemoryXYStage implements XYStage {
  readonly name = 'Placeholder XY stage';
  private p: XYPosition = { xUm: 0, yUm: 0 };
  private readonly lim = { x: { minUm: -5e4, maxUm: 5e4 }, y: { minUm: -5e4, maxUm: 5e4 } };
  async connect() {}
  async disconnect() {}
  isConnected() {
    return true;
  }
  limits() {
    return this.lim;
  }
  settleMs() {
    return 0;
  }
  async position() {
    return { ...this.p };
  }
  async moveTo(p: XYPosition) {
    assertWithinLimits(p.xUm, this.lim.x, 'X');
    assertWithinLimits(p.yUm, this.lim.y, 'Y');
    this.p = { ...p };
    return this.position();
  }
  async moveBy(d: XYPosition) {
    return this.moveTo({ xUm: this.p.xUm + d.xUm, yUm: this.p.yUm + d.yUm });
  }
  async isBusy() {
    return false;
  }
  async stop() {}
}

class PatternCamera implements Camera {
  private open_ = false;
  private exposureMs = 10;
  constructor(private readonly z: ZStage) {}
  async open() {
    this.open_ = true;
  }
  async close() {
    this.open_ = false;
  }
  isOpen() {
    return this.open_;
  }
  info(): CameraInfo {
    return {
      kind: 'placeholder',
      name: 'Placeholder pattern camera',
      width: 640,
      height: 480,
      channels: 3,
      bitDepth: 8,
      pixelPitchUm: 3.45,
      pixelSizeUm: 0.1725,
    };
  }
  getExposureMs() {
    return this.exposureMs;
  }
  async setExposureMs(ms: number) {
    this.exposureMs = ms;
  }
  async snap(): Promise<Frame> {
    const zUm = await this.z.position();
    const { width, height } = this.info();
    const pattern = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const on = ((x >> 4) + (y >> 4)) % 2 === 0;
        const i = (y * width + x) * 3;
        pattern[i] = on ? 200 : 60;
        pattern[i + 1] = on ? 120 : 40;
        pattern[i + 2] = on ? 180 : 90;
      }
    const data = await sharp(pattern, { raw: { width, height, channels: 3 } })
      .blur(0.3 + Math.abs(zUm) * 0.8)
      .raw()
      .toBuffer();
    return {
      width,
      height,
      channels: 3,
      bitDepth: 8,
      data: new Uint8Array(data),
      pixelSizeUm: 0.1725,
      exposureMs: this.exposureMs,
      timestamp: Date.now(),
      zUm,
    };
  }
}

export async function createPlaceholderMicroscope(): Promise<Microscope> {
  const zStage = new MemoryZStage({ minUm: -200, maxUm: 200 });
  const camera = new PatternCamera(zStage);
  await camera.open();
  return {
    profileName: 'Placeholder (test pattern)',
    setupId: '20x',
    camera,
    zStage,
    xyStage: new MemoryXYStage(),
    close: () => camera.close(),
  };
}
