/** HardwareService's link state: connected, disconnected on purpose, lost when a device drops; events and notices. */
import { describe, expect, it } from 'vitest';
import { HardwareError, type Camera, type Frame, type XYStage, type ZStage } from '../../../src/hardware/types';
import type { ApiEvent } from '../../../src/shared/api';
import { EventBus } from '../../../src/main/events';
import { HardwareService } from '../../../src/main/hardware/hardware-service';
import type { Microscope } from '../../../src/main/hardware/microscope';
import { FixedXYStage } from '../../../src/main/hardware/fixed-xy-stage';

class TinyStage implements ZStage {
  readonly name = 'tiny';
  z = 0;
  connected = true;
  unplugged = false;
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
    return { minUm: -100, maxUm: 100 };
  }
  settleMs() {
    return 0;
  }
  private check() {
    if (this.unplugged) throw new HardwareError('disconnected', 'tiny stage: cable pulled');
  }
  async position() {
    this.check();
    return this.z;
  }
  async moveTo(z: number) {
    this.check();
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

class TinyCamera implements Camera {
  opened = true;
  async open() {
    this.opened = true;
  }
  async close() {
    this.opened = false;
  }
  isOpen() {
    return this.opened;
  }
  info() {
    return {
      kind: 'tiny',
      name: 'tiny',
      width: 8,
      height: 8,
      channels: 1 as const,
      bitDepth: 8 as const,
      pixelPitchUm: 0,
      pixelSizeUm: 1,
    };
  }
  getExposureMs() {
    return 1;
  }
  async setExposureMs() {}
  async snap(): Promise<Frame> {
    const data = new Uint8Array(64).map((_, i) => i * 3);
    return {
      width: 8,
      height: 8,
      channels: 1,
      bitDepth: 8,
      data,
      pixelSizeUm: 1,
      exposureMs: 1,
      timestamp: Date.now(),
    };
  }
}

function microscope(name: string): { m: Microscope; z: TinyStage; camera: TinyCamera; closed: () => boolean } {
  const z = new TinyStage();
  const camera = new TinyCamera();
  const xy: XYStage = new FixedXYStage();
  let closed = false;
  return {
    z,
    camera,
    closed: () => closed,
    m: {
      profileName: name,
      setupId: '20x',
      camera,
      zStage: z,
      xyStage: xy,
      close: async () => {
        closed = true;
        await z.disconnect();
        await camera.close();
      },
    },
  };
}

function setup() {
  const bus = new EventBus();
  const events: ApiEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const first = microscope('first');
  const service = new HardwareService(first.m, bus, { profileId: 'first', builtin: false });
  return { bus, events, first, service };
}

describe('HardwareService link state', () => {
  it('replace() swaps the devices, closes the old ones and announces the new link', async () => {
    const { events, first, service } = setup();
    expect(service.connection()).toMatchObject({ state: 'connected', profileId: 'first', profileName: 'first' });
    const second = microscope('second');
    await service.replace(second.m, { profileId: 'second', builtin: true });
    expect(first.closed()).toBe(true);
    expect(service.devices.profileName).toBe('second');
    expect(events.filter((e) => e.event === 'hardware.connection').map((e) => e.data)).toEqual([
      expect.objectContaining({ state: 'connected', profileId: 'second', builtin: true }),
    ]);
  });

  it('disconnect() closes the devices; status and position stay readable, moves and previews are refused', async () => {
    const { first, service } = setup();
    await service.jog('z', 7);
    await service.disconnect();
    expect(first.closed()).toBe(true);
    expect(service.connection().state).toBe('disconnected');
    const status = await service.status();
    expect(status).toMatchObject({ connected: false, profile: 'first', position: { zUm: 7, busy: false } });
    expect(status.zStage.limits).toEqual({ minUm: -100, maxUm: 100 });
    await expect(service.jog('z', 1)).rejects.toThrow(/No hardware is connected/);
    await expect(service.preview(64, 80)).rejects.toThrow(/No hardware is connected/);
    await expect(service.devices.camera.snap()).rejects.toThrow(/No hardware is connected/);
    expect((await service.stop()).zUm).toBe(7);
  });

  it('a device that drops turns the link "lost" with one notice, whoever called it', async () => {
    const { events, first, service } = setup();
    expect((await service.preview(64, 80)).width).toBe(8);
    first.z.unplugged = true;
    // The caller is not the service (an acquisition holding the devices).
    await expect(service.devices.zStage.moveBy(1)).rejects.toThrow('cable pulled');
    await expect(service.devices.zStage.position()).rejects.toThrow('cable pulled');
    expect(service.connection()).toMatchObject({ state: 'lost', message: 'tiny stage: cable pulled' });
    const notices = events.filter((e) => e.event === 'notice').map((e) => e.data);
    expect(notices).toEqual([
      {
        level: 'error',
        message: 'Hardware connection lost: tiny stage: cable pulled. Reconnect on the Hardware page.',
      },
    ]);
    expect((await service.position()).busy).toBe(false);
    // Errors of devices no longer in use are ignored.
    const second = microscope('second');
    await service.replace(second.m);
    await expect(first.m.zStage.position()).rejects.toThrow();
    expect(service.connection().state).toBe('connected');
  });
});
