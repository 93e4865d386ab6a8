/** Stub devices and estimates for loop tests: a stage that records every target, a camera of tiny frames. */
import {
  assertWithinLimits,
  HardwareError,
  type AxisLimits,
  type Camera,
  type CameraInfo,
  type Frame,
  type ZStage,
} from '../../../src/hardware/types';
import type { Estimate } from '../../../src/shared/autofocus';

export class RecordingZStage implements ZStage {
  readonly name = 'recording-z';
  z: number;
  targets: number[] = [];
  /** Targets that were outside the limits (the stage refused them; a correct caller never asks). */
  outside: number[] = [];
  refuse = false;
  constructor(
    private readonly lim: AxisLimits,
    start: number,
  ) {
    this.z = start;
  }
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
  async moveTo(z: number) {
    this.targets.push(z);
    if (!(Number.isFinite(z) && z >= this.lim.minUm && z <= this.lim.maxUm)) this.outside.push(z);
    assertWithinLimits(z, this.lim);
    if (this.refuse) throw new HardwareError('device', 'recording-z refused the move (controller error 22)');
    this.z = z;
    return z;
  }
  async moveBy(dz: number) {
    return this.moveTo(this.z + dz);
  }
  async isBusy() {
    return false;
  }
  async stop() {}
}

/** A camera of small grey frames; meta.trueDefocusUm = stage z - zFocus. */
export class TinyCamera implements Camera {
  snaps = 0;
  constructor(
    private readonly stage: RecordingZStage,
    private readonly zFocus = 0,
  ) {}
  async open() {}
  async close() {}
  isOpen() {
    return true;
  }
  info(): CameraInfo {
    return {
      kind: 'stub',
      name: 'tiny',
      width: 32,
      height: 32,
      channels: 1,
      bitDepth: 8,
      pixelPitchUm: 3.45,
      pixelSizeUm: 0.1725,
    };
  }
  getExposureMs() {
    return 10;
  }
  async setExposureMs() {}
  async snap(): Promise<Frame> {
    this.snaps++;
    const data = new Uint8Array(32 * 32);
    for (let i = 0; i < data.length; i++) data[i] = 100 + ((i * 37 + this.snaps) % 50);
    return {
      width: 32,
      height: 32,
      channels: 1,
      bitDepth: 8,
      data,
      pixelSizeUm: 0.1725,
      exposureMs: 10,
      timestamp: Date.now(),
      zUm: this.stage.z,
      meta: { trueDefocusUm: this.stage.z - this.zFocus },
    };
  }
}

const NULL_MAP = [
  [null, null, null],
  [null, null, null],
  [null, null, null],
];

/** An Estimate as estimateFrame would return it, for a defocus and confidence chosen by the test. */
export function stubEstimate(defocusUm: number | null, confidence = 0.9): Estimate {
  const ok = defocusUm !== null;
  return {
    status: ok ? 'ok' : 'no-content',
    defocusUm,
    confidence: ok ? confidence : 0,
    spreadUm: ok ? 0.1 : null,
    patchesTotal: 9,
    patchesKept: ok ? 9 : 0,
    patchesUsed: ok ? 9 : 0,
    regions: ok
      ? [
          [defocusUm, defocusUm, defocusUm],
          [defocusUm, defocusUm, defocusUm],
          [defocusUm, defocusUm, defocusUm],
        ]
      : NULL_MAP,
    patches: [],
    ...(ok ? {} : { reason: 'no focusable content: the field is blank (stub)' }),
    modelId: 'stub',
    computeMs: 1,
    frameWidth: 32,
    frameHeight: 32,
  };
}
