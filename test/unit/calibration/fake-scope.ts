/**
 * A tiny fake microscope for calibration tests: a stage with optional backlash, scale error,
 * inverted axis and post-move ringing, and a camera whose image depends on the stage's TRUE z:
 * a texture blurred asymmetrically with |d| plus a phase term odd in d (cells bright above focus).
 */
import {
  assertWithinLimits,
  type AxisLimits,
  type Camera,
  type CameraInfo,
  type Frame,
  type ZStage,
} from '../../../src/hardware/types';

export interface FakeStageOptions {
  backlashUm?: number;
  /** True travel per commanded um. */
  scale?: number;
  /** The axis runs the wrong way: true z = -scale * command. */
  inverted?: boolean;
  ring?: { amplitudeUm: number; tauMs: number; periodMs: number };
  limits?: AxisLimits;
}

export class FakeStage implements ZStage {
  readonly name = 'fake stage';
  private cmd = 0;
  private lastDir: 'up' | 'down' = 'up';
  private movedAt = 0;
  moves: number[] = [];

  constructor(private readonly o: FakeStageOptions = {}) {}

  trueZ(now = Date.now()): number {
    const s = (this.o.scale ?? 1) * (this.o.inverted ? -1 : 1);
    let z = s * this.cmd + (this.lastDir === 'down' ? (this.o.backlashUm ?? 0) : 0);
    const ring = this.o.ring;
    if (ring) {
      const t = now - this.movedAt;
      z += ring.amplitudeUm * Math.exp(-t / ring.tauMs) * Math.cos((2 * Math.PI * t) / ring.periodMs);
    }
    return z;
  }

  async connect() {}
  async disconnect() {}
  isConnected() {
    return true;
  }
  limits(): AxisLimits {
    return this.o.limits ?? { minUm: -200, maxUm: 200 };
  }
  settleMs() {
    return 0;
  }
  async position() {
    return this.cmd;
  }
  async moveTo(z: number) {
    assertWithinLimits(z, this.limits());
    if (z > this.cmd) this.lastDir = 'up';
    else if (z < this.cmd) this.lastDir = 'down';
    this.cmd = z;
    this.movedAt = Date.now();
    this.moves.push(z);
    return this.cmd;
  }
  async moveBy(dz: number) {
    return this.moveTo(this.cmd + dz);
  }
  async isBusy() {
    return false;
  }
  async stop() {}
}

export interface FakeCameraOptions {
  size?: number;
  /** Blur sigma (px) per um of defocus above and below focus: asymmetric like a real objective. */
  blurPerUmAbove?: number;
  blurPerUmBelow?: number;
  /** Strength of the odd phase term (0: an absorbing sample only). */
  phaseGain?: number;
  noise?: number;
  frameIntervalMs?: number;
  focusTrueZ?: number;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function gaussianBlur(src: Float64Array, n: number, sigma: number): Float64Array {
  if (sigma < 0.05) return src.slice();
  const r = Math.ceil(3 * sigma);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ks = k.reduce((a, b) => a + b, 0);
  const pass = (a: Float64Array, horizontal: boolean) => {
    const out = new Float64Array(a.length);
    for (let y = 0; y < n; y++)
      for (let x = 0; x < n; x++) {
        let acc = 0;
        for (let i = -r; i <= r; i++) {
          const xx = horizontal ? Math.min(n - 1, Math.max(0, x + i)) : x;
          const yy = horizontal ? y : Math.min(n - 1, Math.max(0, y + i));
          acc += a[yy * n + xx] * k[i + r];
        }
        out[y * n + x] = acc / ks;
      }
    return out;
  };
  return pass(pass(src, true), false);
}

export class FakeCamera implements Camera {
  private readonly n: number;
  private readonly texture: Float64Array;
  /** -laplacian of the phase: positive at cell centres. */
  private readonly phaseTerm: Float64Array;
  private readonly noiseRng = rng(99);
  private open_ = false;
  snaps = 0;

  constructor(
    private readonly stage: FakeStage,
    private readonly o: FakeCameraOptions = {},
  ) {
    const n = (this.n = o.size ?? 48);
    const r = rng(7);
    this.texture = gaussianBlur(
      Float64Array.from({ length: n * n }, () => r() - 0.5),
      n,
      0.7,
    );
    const phi = new Float64Array(n * n);
    for (let c = 0; c < 12; c++) {
      const cx = r() * n;
      const cy = r() * n;
      for (let y = 0; y < n; y++)
        for (let x = 0; x < n; x++) phi[y * n + x] += Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 2.5 ** 2));
    }
    this.phaseTerm = new Float64Array(n * n);
    for (let y = 1; y < n - 1; y++)
      for (let x = 1; x < n - 1; x++) {
        const i = y * n + x;
        this.phaseTerm[i] = -(phi[i - 1] + phi[i + 1] + phi[i - n] + phi[i + n] - 4 * phi[i]);
      }
  }

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
      kind: 'fake',
      name: 'fake',
      width: this.n,
      height: this.n,
      channels: 1,
      bitDepth: 16,
      pixelPitchUm: 0,
      pixelSizeUm: 1,
    };
  }
  getExposureMs() {
    return 1;
  }
  async setExposureMs() {}

  async snap(): Promise<Frame> {
    await new Promise((r) => setTimeout(r, this.o.frameIntervalMs ?? 2));
    this.snaps++;
    const d = this.stage.trueZ() - (this.o.focusTrueZ ?? 0);
    const sigma = Math.abs(d) * (d >= 0 ? (this.o.blurPerUmAbove ?? 0.8) : (this.o.blurPerUmBelow ?? 1.3));
    const blurred = gaussianBlur(this.texture, this.n, sigma);
    const phase = (this.o.phaseGain ?? 0) * d * Math.exp(-Math.abs(d) / 4);
    const data = new Uint16Array(this.n * this.n);
    for (let i = 0; i < data.length; i++) {
      const noise = (this.o.noise ?? 0) * (this.noiseRng() - 0.5);
      data[i] = Math.max(
        0,
        Math.min(65535, Math.round(20000 * (1 + 1.2 * blurred[i] + phase * this.phaseTerm[i] + noise))),
      );
    }
    return {
      width: this.n,
      height: this.n,
      channels: 1,
      bitDepth: 16,
      data,
      pixelSizeUm: 1,
      exposureMs: 1,
      timestamp: Date.now(),
    };
  }
}
