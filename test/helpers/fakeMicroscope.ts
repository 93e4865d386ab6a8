/**
 * A tiny fake microscope for dataset/acquisition tests (NOT the virtual microscope): a Camera, ZStage and XYStage
 * implementing src/hardware/types.ts. The image of a position is a seeded stained texture; at stage z it is blurred
 * with a Gaussian whose width grows with |z - z_focus| (asymmetrically: more above focus than below), plus a small
 * odd "phase" term that flips sign across focus, shot/read noise and quantisation. The true z_focus of each
 * position is known (tilt + offset), and every frame carries meta.trueDefocusUm.
 *
 * Faults for tests: backlash (a move downward lands `backlashUm` short, unless approached from below), and a
 * disconnect after N moves or N snaps (HardwareError 'disconnected' until connect()/open() is called again).
 */
import {
  HardwareError,
  assertWithinLimits,
  type AxisLimits,
  type Camera,
  type CameraInfo,
  type Frame,
  type XYPosition,
  type XYStage,
  type ZStage,
} from '../../src/hardware/types';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussianNoise(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export interface FakeOptions {
  width?: number;
  height?: number;
  channels?: 1 | 3;
  bitDepth?: 8 | 16;
  pixelSizeUm?: number;
  /** z_focus at XY (0,0) and its tilt (um per um). */
  zFocusUm?: number;
  tiltX?: number;
  tiltY?: number;
  /** Per-position extra offset of z_focus (seeded, uniform in +-jitter). */
  focusJitterUm?: number;
  /** Blur growth (px of Gaussian sigma per um of defocus), below / above focus. */
  blurPerUmBelow?: number;
  blurPerUmAbove?: number;
  /** Amplitude of the odd phase-like term (0 = none). */
  phase?: number;
  /** Read noise (in grey levels of 255) and shot-noise gain. */
  readNoise?: number;
  shotGain?: number;
  /** Content density: 0 = blank field, 1 = dense tissue. */
  density?: number;
  seed?: number;
}

const DEFAULTS: Required<FakeOptions> = {
  width: 160,
  height: 120,
  channels: 3,
  bitDepth: 8,
  pixelSizeUm: 0.345,
  zFocusUm: 0,
  tiltX: 0,
  tiltY: 0,
  focusJitterUm: 0,
  blurPerUmBelow: 1.4,
  blurPerUmAbove: 1.8,
  phase: 0.05,
  readNoise: 1.0,
  shotGain: 0.05,
  density: 1,
  seed: 1,
};

/** In-focus scene of one position: per-channel transmission in [0, 1] and a phase map. */
interface Scene {
  trans: Float32Array[]; // per channel, w*h
  phase: Float32Array;
}

function renderScene(o: Required<FakeOptions>, x: number, y: number): Scene {
  const { width: w, height: h } = o;
  const rng = mulberry32((o.seed * 7919 + Math.round(x * 13) * 104729 + Math.round(y * 7) * 1299709) >>> 0);
  const od = new Float32Array(w * h);
  const phase = new Float32Array(w * h);
  const nBlobs = Math.round(((w * h) / 120) * o.density);
  for (let b = 0; b < nBlobs; b++) {
    const cx = rng() * w;
    const cy = rng() * h;
    const r = 1 + rng() * 4;
    const amp = 0.3 + rng() * 0.9;
    const x0 = Math.max(0, Math.floor(cx - 3 * r));
    const x1 = Math.min(w - 1, Math.ceil(cx + 3 * r));
    const y0 = Math.max(0, Math.floor(cy - 3 * r));
    const y1 = Math.min(h - 1, Math.ceil(cy + 3 * r));
    for (let yy = y0; yy <= y1; yy++)
      for (let xx = x0; xx <= x1; xx++) {
        const d2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / (r * r);
        const v = amp * Math.exp(-d2);
        od[yy * w + xx] += v;
        phase[yy * w + xx] += 0.5 * v;
      }
  }
  // Stain colour (absorbance per channel): haematoxylin-ish purple.
  const stain = o.channels === 3 ? [0.65, 0.95, 0.45] : [0.8];
  const trans = stain.map((k) => {
    const t = new Float32Array(w * h);
    for (let i = 0; i < t.length; i++) t[i] = Math.exp(-k * od[i]);
    return t;
  });
  return { trans, phase };
}

function gaussKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + r] = v;
    s += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/** Separable Gaussian blur with clamped edges. */
export function blur(src: Float32Array, w: number, h: number, sigma: number): Float32Array {
  const k = gaussKernel(sigma);
  const r = (k.length - 1) / 2;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) {
        const xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
        s += k[i + r] * src[row + xx];
      }
      tmp[row + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) {
        const yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
        s += k[i + r] * tmp[yy * w + x];
      }
      out[y * w + x] = s;
    }
  }
  return out;
}

/** Shared state of the fake microscope: where the stages really are. */
export class FakeMicroscope {
  readonly o: Required<FakeOptions>;
  z = 0;
  xy: XYPosition = { xUm: 0, yUm: 0 };
  private scenes = new Map<string, Scene>();
  private noise: () => number;
  snaps = 0;

  constructor(opts: FakeOptions = {}) {
    this.o = { ...DEFAULTS, ...opts };
    this.noise = mulberry32(this.o.seed ^ 0x5bd1e995);
  }

  /** True z_focus at an XY position. */
  zFocusAt(p: XYPosition): number {
    const jr = mulberry32((this.o.seed * 31 + Math.round(p.xUm) * 17 + Math.round(p.yUm) * 23) >>> 0);
    const jitter = this.o.focusJitterUm * (2 * jr() - 1);
    return this.o.zFocusUm + this.o.tiltX * p.xUm + this.o.tiltY * p.yUm + jitter;
  }

  private scene(p: XYPosition): Scene {
    const key = `${p.xUm.toFixed(3)},${p.yUm.toFixed(3)}`;
    let s = this.scenes.get(key);
    if (!s) {
      s = renderScene(this.o, p.xUm, p.yUm);
      this.scenes.set(key, s);
    }
    return s;
  }

  /** Renders the image at defocus d for the current XY. */
  render(d: number): { data: Uint8Array | Uint16Array } {
    const o = this.o;
    const { width: w, height: h } = o;
    const sc = this.scene(this.xy);
    const k = d >= 0 ? o.blurPerUmAbove : o.blurPerUmBelow;
    const sigma = Math.sqrt(0.6 * 0.6 + (k * d) ** 2);
    const ph = blur(sc.phase, w, h, sigma);
    // Odd in d, zero at focus, fading far from it: contrast that flips sign across focus.
    const phaseGain = (o.phase * d) / (1 + (d / 3) ** 2);
    const full = o.bitDepth === 16 ? 65535 : 255;
    const white = 0.85;
    const out = o.bitDepth === 16 ? new Uint16Array(w * h * o.channels) : new Uint8Array(w * h * o.channels);
    for (let c = 0; c < o.channels; c++) {
      const b = blur(sc.trans[c], w, h, sigma);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const i = y * w + x;
          const lap =
            (x > 0 ? ph[i - 1] : ph[i]) +
            (x < w - 1 ? ph[i + 1] : ph[i]) +
            (y > 0 ? ph[i - w] : ph[i]) +
            (y < h - 1 ? ph[i + w] : ph[i]) -
            4 * ph[i];
          let v = white * b[i] * (1 + phaseGain * lap * 4);
          const g = v * 255;
          v +=
            (Math.sqrt(Math.max(g, 0) * o.shotGain) * gaussianNoise(this.noise) +
              o.readNoise * gaussianNoise(this.noise)) /
            255;
          const q = Math.round(Math.min(1, Math.max(0, v)) * full);
          out[i * o.channels + c] = q;
        }
    }
    return { data: out };
  }
}

export interface FaultOptions {
  /** Throw 'disconnected' on the move after this many successful moves. */
  disconnectAfterMoves?: number;
  disconnectAfterSnaps?: number;
}

export class FakeZStage implements ZStage {
  readonly name = 'fake-z';
  private connected = true;
  moves: { from: number; to: number; reached: number }[] = [];
  faults: FaultOptions;
  private lastDir = 1;

  constructor(
    private readonly m: FakeMicroscope,
    private readonly opts: { limits?: AxisLimits; settleMs?: number; backlashUm?: number; moveMs?: number } = {},
    faults: FaultOptions = {},
  ) {
    this.faults = faults;
  }
  async connect() {
    this.connected = true;
  }
  async disconnect() {
    this.connected = false;
  }
  isConnected() {
    return this.connected;
  }
  limits(): AxisLimits {
    return this.opts.limits ?? { minUm: -500, maxUm: 500 };
  }
  settleMs() {
    return this.opts.settleMs ?? 0;
  }
  private check() {
    if (!this.connected) throw new HardwareError('disconnected', 'fake Z stage: link is down');
  }
  /** The position the controller reports (commanded), not where the optics really are. */
  private commanded = 0;
  async position() {
    this.check();
    return this.commanded;
  }
  async moveTo(z: number) {
    this.check();
    assertWithinLimits(z, this.limits(), 'Z');
    if (this.faults.disconnectAfterMoves !== undefined && this.moves.length >= this.faults.disconnectAfterMoves) {
      this.connected = false;
      this.faults.disconnectAfterMoves = undefined;
      throw new HardwareError('disconnected', 'fake Z stage: cable pulled');
    }
    if (this.opts.moveMs) await new Promise((r) => setTimeout(r, this.opts.moveMs));
    const dir = Math.sign(z - this.commanded) || this.lastDir;
    this.lastDir = dir;
    const backlash = this.opts.backlashUm ?? 0;
    // Downward moves stop short by the backlash; upward moves take it up.
    this.m.z = dir < 0 ? z + backlash : z;
    this.moves.push({ from: this.commanded, to: z, reached: this.m.z });
    this.commanded = z;
    return z;
  }
  async moveBy(dz: number) {
    return this.moveTo(this.commanded + dz);
  }
  async isBusy() {
    this.check();
    return false;
  }
  async stop() {}
}

export class FakeXYStage implements XYStage {
  readonly name = 'fake-xy';
  private connected = true;
  constructor(private readonly m: FakeMicroscope) {}
  async connect() {
    this.connected = true;
  }
  async disconnect() {
    this.connected = false;
  }
  isConnected() {
    return this.connected;
  }
  limits() {
    return { x: { minUm: -1e5, maxUm: 1e5 }, y: { minUm: -1e5, maxUm: 1e5 } };
  }
  settleMs() {
    return 0;
  }
  async position() {
    return { ...this.m.xy };
  }
  async moveTo(p: XYPosition) {
    if (!this.connected) throw new HardwareError('disconnected', 'fake XY stage: link is down');
    assertWithinLimits(p.xUm, this.limits().x, 'X');
    assertWithinLimits(p.yUm, this.limits().y, 'Y');
    this.m.xy = { ...p };
    return { ...p };
  }
  async moveBy(d: XYPosition) {
    return this.moveTo({ xUm: this.m.xy.xUm + d.xUm, yUm: this.m.xy.yUm + d.yUm });
  }
  async isBusy() {
    return false;
  }
  async stop() {}
}

export class FakeCamera implements Camera {
  private opened = false;
  private exposure = 10;
  faults: FaultOptions;
  constructor(
    private readonly m: FakeMicroscope,
    faults: FaultOptions = {},
  ) {
    this.faults = faults;
  }
  async open() {
    this.opened = true;
  }
  async close() {
    this.opened = false;
  }
  isOpen() {
    return this.opened;
  }
  info(): CameraInfo {
    const o = this.m.o;
    return {
      kind: 'fake',
      name: 'fake camera',
      width: o.width,
      height: o.height,
      channels: o.channels,
      bitDepth: o.bitDepth,
      pixelPitchUm: o.pixelSizeUm * 20,
      pixelSizeUm: o.pixelSizeUm,
    };
  }
  getExposureMs() {
    return this.exposure;
  }
  async setExposureMs(ms: number) {
    this.exposure = ms;
  }
  async snap(): Promise<Frame> {
    if (!this.opened) throw new HardwareError('disconnected', 'fake camera is not open');
    if (this.faults.disconnectAfterSnaps !== undefined && this.m.snaps >= this.faults.disconnectAfterSnaps) {
      this.opened = false;
      this.faults.disconnectAfterSnaps = undefined;
      throw new HardwareError('disconnected', 'fake camera: USB cable pulled');
    }
    this.m.snaps++;
    const d = this.m.z - this.m.zFocusAt(this.m.xy);
    const { data } = this.m.render(d);
    const o = this.m.o;
    return {
      width: o.width,
      height: o.height,
      channels: o.channels,
      bitDepth: o.bitDepth,
      data,
      pixelSizeUm: o.pixelSizeUm,
      exposureMs: this.exposure,
      timestamp: Date.now(),
      meta: { trueDefocusUm: d, trueZFocusUm: this.m.zFocusAt(this.m.xy) },
    };
  }
}

/** Camera + stages over one fake microscope, opened. */
export async function fakeDevices(opts: FakeOptions = {}, stage: ConstructorParameters<typeof FakeZStage>[1] = {}) {
  const m = new FakeMicroscope(opts);
  const camera = new FakeCamera(m);
  const z = new FakeZStage(m, stage);
  const xy = new FakeXYStage(m);
  await camera.open();
  return { m, camera, z, xy };
}
