import { describe, expect, it } from 'vitest';
import { approach } from '../../../src/hardware/stage/approach';
import { LimitedZStage } from '../../../src/hardware/stage/limited-z-stage';
import { LimitedXYStage } from '../../../src/hardware/stage/limited-xy-stage';
import { quantizeWithinLimits } from '../../../src/hardware/stage/mapping';
import type { NativeXY, NativeXYAxes, NativeZAxis } from '../../../src/hardware/stage/native';
import { createEmulator, memoryWiring } from '../../../src/hardware/emulators';
import { createSerialStage } from '../../../src/hardware/serial/factory';
import { HardwareError } from '../../../src/hardware/types';

class FakeZ implements NativeZAxis {
  readonly name = 'fake z';
  readonly resolutionNative = 1;
  z = 0;
  sent: number[] = [];
  private connected = false;
  constructor(private readonly reported?: number) {}
  async connect() {
    this.connected = true;
  }
  async disconnect() {
    this.connected = false;
  }
  isConnected() {
    return this.connected;
  }
  reportedNativePerUm() {
    return this.reported;
  }
  async readZ() {
    return this.z;
  }
  async moveZTo(t: number) {
    this.sent.push(t);
    this.z = t;
  }
  async isZBusy() {
    return false;
  }
  async stopZ() {}
}

async function zStage(opts: { nativePerUm?: number; direction?: 1 | -1; min?: number; max?: number } = {}) {
  const axis = new FakeZ();
  const stage = new LimitedZStage(axis, {
    limits: { minUm: opts.min ?? -100, maxUm: opts.max ?? 100 },
    nativePerUm: opts.nativePerUm ?? 10,
    direction: opts.direction,
  });
  await stage.connect();
  return { axis, stage };
}

describe('LimitedZStage', () => {
  it('refuses NaN, infinities and out-of-range targets before anything is sent', async () => {
    const { axis, stage } = await zStage();
    for (const bad of [Number.NaN, Infinity, -Infinity, 100.01, -1e9]) {
      await expect(stage.moveTo(bad)).rejects.toMatchObject({ kind: 'limit' });
    }
    await expect(stage.moveBy(Number.NaN)).rejects.toMatchObject({ kind: 'limit' });
    await expect(stage.moveBy(150)).rejects.toMatchObject({ kind: 'limit' });
    expect(axis.sent).toEqual([]);
  });

  it('maps um to native steps with the direction and rounds to whole steps', async () => {
    const { axis, stage } = await zStage({ nativePerUm: 10, direction: -1 });
    expect(await stage.moveTo(12.34)).toBeCloseTo(12.3, 9);
    expect(axis.sent).toEqual([-123]);
    expect(await stage.moveBy(-2.3)).toBeCloseTo(10, 9);
    expect(axis.sent.at(-1)).toBe(-100);
  });

  it('never rounds past a soft limit', () => {
    // 1 step = 3 um: 99.9 um would round to 33 steps = 99 um or 34 = 102 um; the limit is 100.
    const m = { nativePerUm: 1 / 3, direction: 1 as const, resolutionNative: 1 };
    expect(quantizeWithinLimits(99.9, m, { minUm: -100, maxUm: 100 })).toBe(33);
    expect(quantizeWithinLimits(-99.9, m, { minUm: -100, maxUm: 100 })).toBe(-33);
    // No whole step lies inside a 1 um window between two steps.
    expect(quantizeWithinLimits(1.5, m, { minUm: 1, maxUm: 2 })).toBeNull();
  });

  it('needs steps per um from the profile or the controller', async () => {
    const stage = new LimitedZStage(new FakeZ(), { limits: { minUm: 0, maxUm: 1 } });
    await expect(stage.connect()).rejects.toMatchObject({ kind: 'config' });
    const reported = new LimitedZStage(new FakeZ(4), { limits: { minUm: 0, maxUm: 10 } });
    await reported.connect();
    await reported.moveTo(2);
    expect((reported.axis as FakeZ).sent).toEqual([8]);
  });

  it('rejects unusable limits and mappings at construction', () => {
    expect(() => new LimitedZStage(new FakeZ(), { limits: { minUm: 5, maxUm: 1 } })).toThrow(HardwareError);
    expect(() => new LimitedZStage(new FakeZ(), { limits: { minUm: 0, maxUm: 1 }, nativePerUm: 0 })).toThrow(
      /positive/,
    );
  });

  it('uses the resolution the ProScan reports (RES,Z) when no steps per um are configured', async () => {
    const emulator = createEmulator('prior', { nativePerUm: 4, speedUmPerS: Infinity });
    const stage = createSerialStage({
      driver: 'prior',
      port: 'mem',
      openLink: memoryWiring(emulator).openLink,
      pollMs: 1,
    });
    await stage.connect();
    await stage.moveTo(10);
    expect(emulator.axes.z.position()).toBe(40);
    await stage.disconnect();
  });
});

describe('approach (backlash)', () => {
  it('approaches from below: goes under the target first when coming from above', async () => {
    const { axis, stage } = await zStage();
    await stage.moveTo(20);
    axis.sent = [];
    await approach(stage, 10, { fromBelow: true, overshootUm: 5 });
    expect(axis.sent).toEqual([50, 100]);
  });

  it('moves directly when the last move was already upward and the target is above', async () => {
    const { axis, stage } = await zStage();
    await stage.moveTo(-10);
    await stage.moveTo(0);
    axis.sent = [];
    // A stack walking upward in 0.5 um steps: no detour per plane.
    await approach(stage, 0.5, { fromBelow: true, overshootUm: 5 });
    await approach(stage, 1, { fromBelow: true, overshootUm: 5 });
    expect(axis.sent).toEqual([5, 10]);
  });

  it('takes up the slack when the last move was downward, even for a small step up', async () => {
    const { axis, stage } = await zStage();
    await stage.moveTo(10);
    await stage.moveTo(0);
    axis.sent = [];
    await approach(stage, 1, { fromBelow: true, overshootUm: 5 });
    expect(axis.sent).toEqual([-40, 10]);
  });

  it('approaches from above symmetrically, and clips the staging point at a soft limit', async () => {
    const { axis, stage } = await zStage({ max: 12 });
    await approach(stage, 10, { fromBelow: false, overshootUm: 5 });
    expect(axis.sent).toEqual([120, 100]);
  });

  it('refuses a negative overshoot and still refuses targets outside the limits', async () => {
    const { stage } = await zStage();
    await expect(approach(stage, 1, { fromBelow: true, overshootUm: -1 })).rejects.toMatchObject({ kind: 'config' });
    await expect(approach(stage, 500, { fromBelow: true, overshootUm: 1 })).rejects.toMatchObject({ kind: 'limit' });
  });
});

class FakeXY implements NativeXYAxes {
  readonly name = 'fake xy';
  readonly resolutionNative = 1;
  p: NativeXY = { x: 0, y: 0 };
  sent: NativeXY[] = [];
  async connect() {}
  async disconnect() {}
  isConnected() {
    return true;
  }
  async readXY() {
    return { ...this.p };
  }
  async moveXYTo(t: NativeXY) {
    this.sent.push(t);
    this.p = { ...t };
  }
  async isXYBusy() {
    return false;
  }
  async stopXY() {}
}

describe('LimitedXYStage', () => {
  it('checks both axes before sending and maps each with its own scale and direction', async () => {
    const axes = new FakeXY();
    const xy = new LimitedXYStage(axes, {
      limits: { x: { minUm: -1000, maxUm: 1000 }, y: { minUm: 0, maxUm: 500 } },
      nativePerUm: { x: 2, y: 4 },
      direction: { x: 1, y: -1 },
    });
    await expect(xy.moveTo({ xUm: 10, yUm: -1 })).rejects.toMatchObject({ kind: 'limit' });
    await expect(xy.moveBy({ xUm: Number.NaN, yUm: 0 })).rejects.toMatchObject({ kind: 'limit' });
    expect(axes.sent).toEqual([]);
    expect(await xy.moveTo({ xUm: 10, yUm: 20 })).toEqual({ xUm: 10, yUm: 20 });
    expect(axes.sent).toEqual([{ x: 20, y: -80 }]);
    await expect(xy.moveBy({ xUm: 0, yUm: 490 })).rejects.toMatchObject({ kind: 'limit' });
  });
});
