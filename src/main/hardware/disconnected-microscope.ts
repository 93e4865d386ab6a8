/**
 * What the app holds while no hardware is connected: devices that refuse every action with one clear message, so
 * nothing that reads `hardware.devices` can drive a closed port, and the status shows "not connected".
 */
import {
  HardwareError,
  type AxisLimits,
  type Camera,
  type CameraInfo,
  type Frame,
  type XYPosition,
  type XYStage,
  type ZStage,
} from '../../hardware/types';
import type { Microscope } from './microscope';

export const NOT_CONNECTED = 'No hardware is connected: connect a profile on the Hardware page';

function refuse(): never {
  throw new HardwareError('disconnected', NOT_CONNECTED);
}

class NoCamera implements Camera {
  async open(): Promise<void> {
    refuse();
  }
  async close(): Promise<void> {}
  isOpen(): boolean {
    return false;
  }
  info(): CameraInfo {
    return {
      kind: 'none',
      name: 'No camera (not connected)',
      width: 1,
      height: 1,
      channels: 1,
      bitDepth: 8,
      pixelPitchUm: 0,
      pixelSizeUm: 1,
    };
  }
  getExposureMs(): number {
    return 1;
  }
  async setExposureMs(): Promise<void> {
    refuse();
  }
  async snap(): Promise<Frame> {
    refuse();
  }
}

class NoZStage implements ZStage {
  readonly name = 'No Z stage (not connected)';
  constructor(private readonly lastLimits: AxisLimits) {}
  async connect(): Promise<void> {
    refuse();
  }
  async disconnect(): Promise<void> {}
  isConnected(): boolean {
    return false;
  }
  limits(): AxisLimits {
    return { ...this.lastLimits };
  }
  settleMs(): number {
    return 0;
  }
  async position(): Promise<number> {
    refuse();
  }
  async moveTo(): Promise<number> {
    refuse();
  }
  async moveBy(): Promise<number> {
    refuse();
  }
  async isBusy(): Promise<boolean> {
    return false;
  }
  async stop(): Promise<void> {}
}

class NoXYStage implements XYStage {
  readonly name = 'No XY stage (not connected)';
  constructor(private readonly lastLimits: { x: AxisLimits; y: AxisLimits }) {}
  async connect(): Promise<void> {
    refuse();
  }
  async disconnect(): Promise<void> {}
  isConnected(): boolean {
    return false;
  }
  limits(): { x: AxisLimits; y: AxisLimits } {
    return { x: { ...this.lastLimits.x }, y: { ...this.lastLimits.y } };
  }
  settleMs(): number {
    return 0;
  }
  async position(): Promise<XYPosition> {
    refuse();
  }
  async moveTo(): Promise<XYPosition> {
    refuse();
  }
  async moveBy(): Promise<XYPosition> {
    refuse();
  }
  async isBusy(): Promise<boolean> {
    return false;
  }
  async stop(): Promise<void> {}
}

/** Placeholder devices keeping the soft limits and setup of the devices just closed (the status stays readable). */
export function disconnectedMicroscope(previous: Microscope): Microscope {
  return {
    profileName: previous.profileName,
    setupId: previous.setupId,
    setup: previous.setup,
    camera: new NoCamera(),
    zStage: new NoZStage(previous.zStage.limits()),
    xyStage: new NoXYStage(previous.xyStage.limits()),
    close: async () => undefined,
  };
}
