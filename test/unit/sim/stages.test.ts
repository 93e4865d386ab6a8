/** Simulated stages: limits, timing, backlash, settle, stop, fault injection. */
import { describe, expect, it } from 'vitest';
import { HardwareError } from '../../../src/hardware/types';
import { FaultInjector } from '../../../src/hardware/sim/faults';
import { SimXYStage } from '../../../src/hardware/sim/sim-xy-stage';
import { SimZStage } from '../../../src/hardware/sim/sim-z-stage';

function zStage(extra: Partial<ConstructorParameters<typeof SimZStage>[0]> = {}) {
  const faults = new FaultInjector(1);
  const s = new SimZStage({
    limits: { minUm: -100, maxUm: 100 },
    speedUmPerS: 1000,
    settleMs: 20,
    timeScale: 0,
    faults,
    ...extra,
  });
  return { s, faults };
}

async function rejection(p: Promise<unknown>): Promise<HardwareError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HardwareError);
  return e as HardwareError;
}

describe('SimZStage', () => {
  it('refuses moves outside the soft limits or non-finite, and nothing moves', async () => {
    const { s } = zStage();
    await s.connect();
    await s.moveTo(10);
    expect((await rejection(s.moveTo(150))).kind).toBe('limit');
    expect((await rejection(s.moveTo(NaN))).kind).toBe('limit');
    expect((await rejection(s.moveBy(-200))).kind).toBe('limit');
    expect(await s.position()).toBe(10);
    expect(s.mechanicalPosition()).toBe(10);
  });

  it('needs a connection', async () => {
    const { s } = zStage();
    expect((await rejection(s.position())).kind).toBe('disconnected');
  });

  it('moves take |dz|/speed of (scaled) time; busy while moving; stop() halts in between', async () => {
    const { s } = zStage({ speedUmPerS: 100, timeScale: 1 });
    await s.connect();
    const t0 = performance.now();
    await s.moveTo(5); // 50 ms
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    const p = s.moveTo(-5); // 100 ms
    await new Promise((r) => setTimeout(r, 40));
    expect(await s.isBusy()).toBe(true);
    await s.stop();
    const stoppedAt = await p;
    expect(stoppedAt).toBeLessThan(5);
    expect(stoppedAt).toBeGreaterThan(-5);
    expect(await s.isBusy()).toBe(false);
    expect(await s.position()).toBeCloseTo(stoppedAt, 9);
  });

  it('backlash: approaching from below leaves the mechanics short by the play; from above is exact', async () => {
    const { s } = zStage({ backlashUm: 2 });
    await s.connect();
    await s.moveTo(-20);
    await s.moveTo(0); // upwards
    expect(await s.position()).toBe(0);
    expect(s.mechanicalPosition()).toBeCloseTo(-2, 9);
    await s.moveTo(10);
    await s.moveTo(0); // downwards
    expect(s.mechanicalPosition()).toBeCloseTo(0, 9);
    await s.moveBy(1); // reversal smaller than the play: nothing moves mechanically
    expect(s.mechanicalPosition()).toBeCloseTo(0, 9);
  });

  it('settle: the mechanics ring right after a move and are still within 1 % of the amplitude after settleMs', async () => {
    const { s } = zStage({ timeScale: 1, speedUmPerS: 1e6, settleMs: 60, settleAmplitudeUm: 0.5 });
    await s.connect();
    await s.moveTo(20);
    const early = Math.abs(s.mechanicalPosition() - 20);
    expect(early).toBeGreaterThan(0.2);
    await new Promise((r) => setTimeout(r, s.settleMs() + 5));
    expect(Math.abs(s.mechanicalPosition() - 20)).toBeLessThan(0.005);
  });

  it('fault injection: refused move, timeout, dropped connection (and recovery)', async () => {
    const { s, faults } = zStage();
    await s.connect();
    faults.set('z.refuse', 'once');
    expect((await rejection(s.moveTo(1))).kind).toBe('device');
    expect(await s.moveTo(1)).toBe(1);
    faults.set('z.timeout', 'once');
    expect((await rejection(s.moveTo(2))).kind).toBe('timeout');
    expect(await s.position()).toBe(1);
    faults.set('z.disconnect', 'once');
    expect((await rejection(s.moveTo(3))).kind).toBe('disconnected');
    expect(s.isConnected()).toBe(false);
    expect((await rejection(s.moveTo(3))).kind).toBe('disconnected');
    await s.connect();
    expect(await s.moveTo(3)).toBe(3);
    faults.set('z.refuse', { probability: 0.5 });
    let refused = 0;
    for (let i = 0; i < 200; i++) await s.moveTo(i % 10).catch(() => refused++);
    expect(refused).toBeGreaterThan(60);
    expect(refused).toBeLessThan(140);
    expect(() => faults.set('z.refuse', { probability: 2 })).toThrow(/probability/);
  });
});

describe('SimXYStage', () => {
  it('limits per axis, moves and faults', async () => {
    const faults = new FaultInjector(1);
    const s = new SimXYStage({
      limits: { x: { minUm: -1000, maxUm: 1000 }, y: { minUm: -500, maxUm: 500 } },
      speedUmPerS: 1e4,
      settleMs: 10,
      timeScale: 0,
      faults,
    });
    await s.connect();
    expect(await s.moveTo({ xUm: 100, yUm: -50 })).toEqual({ xUm: 100, yUm: -50 });
    expect(await s.moveBy({ xUm: 10, yUm: 10 })).toEqual({ xUm: 110, yUm: -40 });
    const e = await rejection(s.moveTo({ xUm: 0, yUm: 600 }));
    expect(e.kind).toBe('limit');
    expect(e.message).toMatch(/^Y target/);
    expect(await s.position()).toEqual({ xUm: 110, yUm: -40 });
    faults.set('xy.timeout', 'once');
    expect((await rejection(s.moveTo({ xUm: 0, yUm: 0 }))).kind).toBe('timeout');
    faults.set('xy.disconnect', 'always');
    expect((await rejection(s.moveTo({ xUm: 0, yUm: 0 }))).kind).toBe('disconnected');
  });
});
