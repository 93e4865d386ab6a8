/**
 * Device interfaces, in micrometres at the sample (DESIGN.md "Hardware abstraction").
 *
 * z is the focus axis in the optical convention: +z moves the objective away from the sample.
 * A driver whose native axis runs the other way maps it with its calibration (zDirection = -1),
 * so nothing above this layer ever sees a native unit or a native direction.
 */

/** One captured image. Pixels are row-major and interleaved (RGBRGB...) when channels = 3. */
export interface Frame {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Significant bits per sample. 8-bit frames use Uint8Array, 12/16-bit frames use Uint16Array. */
  bitDepth: 8 | 12 | 16;
  data: Uint8Array | Uint16Array;
  /**
   * How values map to light: 'srgb' (gamma-encoded) or 'linear'. Absent: sRGB for 8-bit frames, linear for wider
   * ones (scientific cameras and 16-bit TIFF stacks store linear light). The models read sRGB (inference/encoding.ts).
   */
  encoding?: 'srgb' | 'linear';
  /** um per pixel at the sample (camera pixel pitch / total magnification). */
  pixelSizeUm: number;
  exposureMs: number;
  /** ms since the epoch when the exposure ended. */
  timestamp: number;
  /** Stage z (um) when the frame was taken, where the source knows it. */
  zUm?: number;
  /** Source-specific facts worth storing with the image (e.g. simulator truth). */
  meta?: Record<string, unknown>;
}

export interface CameraInfo {
  /** Short driver id, e.g. "sim", "ffmpeg", "folder". */
  kind: string;
  name: string;
  width: number;
  height: number;
  channels: 1 | 3;
  bitDepth: 8 | 12 | 16;
  /** Physical sensor pixel pitch in um (0 when unknown). */
  pixelPitchUm: number;
  /** um per pixel at the sample. */
  pixelSizeUm: number;
}

export interface Camera {
  open(): Promise<void>;
  close(): Promise<void>;
  isOpen(): boolean;
  info(): CameraInfo;
  getExposureMs(): number;
  setExposureMs(ms: number): Promise<void>;
  /** Capture one frame. Rejects with a HardwareError when the capture fails. */
  snap(): Promise<Frame>;
}

export interface AxisLimits {
  minUm: number;
  maxUm: number;
}

export interface ZStage {
  readonly name: string;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  /** Soft limits in um (optical convention). No move leaves them. */
  limits(): AxisLimits;
  /** Time to wait after a move before a frame is sharp (ms). */
  settleMs(): number;
  position(): Promise<number>;
  /** Move to an absolute z (um); resolves with the position reached, after the move has ended. */
  moveTo(zUm: number): Promise<number>;
  /** Move by a relative amount (um); resolves with the position reached. */
  moveBy(dzUm: number): Promise<number>;
  isBusy(): Promise<boolean>;
  stop(): Promise<void>;
}

export interface XYPosition {
  xUm: number;
  yUm: number;
}

export interface XYStage {
  readonly name: string;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  limits(): { x: AxisLimits; y: AxisLimits };
  settleMs(): number;
  position(): Promise<XYPosition>;
  moveTo(p: XYPosition): Promise<XYPosition>;
  moveBy(d: XYPosition): Promise<XYPosition>;
  isBusy(): Promise<boolean>;
  stop(): Promise<void>;
}

export type HardwareErrorKind =
  | 'limit' // a requested move would leave the soft limits (nothing was sent)
  | 'timeout' // the device did not answer in time
  | 'disconnected' // the link is gone (cable pulled, port closed, process died)
  | 'device' // the device answered with an error
  | 'protocol' // the device answered something we do not understand
  | 'capture' // a frame could not be captured
  | 'config'; // a setting is invalid

export class HardwareError extends Error {
  constructor(
    readonly kind: HardwareErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HardwareError';
  }
}

/** Throws a 'limit' HardwareError when z is not finite or outside the limits. */
export function assertWithinLimits(zUm: number, limits: AxisLimits, axis = 'Z'): void {
  if (!Number.isFinite(zUm)) {
    throw new HardwareError('limit', `${axis} target ${zUm} is not a finite number of micrometres`);
  }
  if (zUm < limits.minUm || zUm > limits.maxUm) {
    throw new HardwareError(
      'limit',
      `${axis} target ${zUm.toFixed(3)} um is outside the soft limits ${limits.minUm}..${limits.maxUm} um; nothing was moved`,
      { targetUm: zUm, ...limits },
    );
  }
}
