/**
 * Every driver against its emulator over an in-memory link: moves, read-back, stop, direction mapping.
 * (The same drivers over real serial I/O on socat pseudo-terminals: test/integration/serial.)
 */
import { describe, expect, it } from 'vitest';
import { createEmulator, memoryWiring } from '../../../src/hardware/emulators';
import { createSerialStage, createSerialXYStage, type SerialStageDriver } from '../../../src/hardware/serial/factory';
import { PROTOCOL_NAMES, type ProtocolName } from '../../../src/hardware/serial/protocol';
import { HardwareError } from '../../../src/hardware/types';

function setup(protocol: ProtocolName, speedUmPerS = Infinity, zDirection: 1 | -1 = 1) {
  const emulator = createEmulator(protocol, { speedUmPerS });
  const wiring = memoryWiring(emulator);
  const stage = createSerialStage({
    driver: protocol,
    port: `/dev/fake-${protocol}`,
    openLink: wiring.openLink,
    zDirection,
    pollMs: 5,
    timeoutMs: 300,
    lineClearMs: 20,
    limits: { minUm: -500, maxUm: 500 },
    stepsPerUm: emulator.nativePerUm,
  });
  return { emulator, wiring, stage };
}

describe.each(PROTOCOL_NAMES)('%s driver (in memory)', (protocol) => {
  it('moves to absolute and relative targets and reads the position back', async () => {
    const { emulator, stage } = setup(protocol);
    await stage.connect();
    expect(await stage.position()).toBeCloseTo(0, 6);
    expect(await stage.moveTo(12.5)).toBeCloseTo(12.5, 3);
    expect(emulator.positionUm()).toBeCloseTo(12.5, 3);
    expect(await stage.moveBy(-2.5)).toBeCloseTo(10, 3);
    expect(await stage.moveBy(0.5)).toBeCloseTo(10.5, 3);
    expect(emulator.positionUm()).toBeCloseTo(10.5, 3);
    await stage.disconnect();
    expect(stage.isConnected()).toBe(false);
  });

  it('maps zDirection -1 onto the controller axis', async () => {
    const { emulator, stage } = setup(protocol, Infinity, -1);
    await stage.connect();
    await stage.moveTo(20);
    expect(emulator.positionUm()).toBeCloseTo(-20, 3);
    expect(await stage.position()).toBeCloseTo(20, 3);
    await stage.disconnect();
  });

  it('stops a running move where it is', async () => {
    const { emulator, stage } = setup(protocol, 100);
    await stage.connect();
    const move = stage.moveTo(200);
    await new Promise((r) => setTimeout(r, 150));
    expect(await stage.isBusy()).toBe(true);
    await stage.stop();
    const reached = await move;
    expect(reached).toBeGreaterThan(1);
    expect(reached).toBeLessThan(150);
    // Within 1 um: GRBL reports positions with 3 decimals in mm.
    expect(Math.abs(emulator.positionUm() - reached)).toBeLessThanOrEqual(1);
    expect(await stage.isBusy()).toBe(false);
    await stage.disconnect();
  });

  it('recovers after a garbage reply: the command fails, the next one works', async () => {
    const { emulator, stage } = setup(protocol);
    await stage.connect();
    emulator.answerGarbageNext();
    const err = await stage.moveTo(5).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HardwareError);
    // GRBL's first reply is a realtime status report: garbage there shows up as a missing report.
    expect(['protocol', 'timeout']).toContain((err as HardwareError).kind);
    expect(await stage.moveTo(7)).toBeCloseTo(7, 3);
    await stage.disconnect();
  });

  it('moves XY on the same controller connection', async () => {
    const { emulator, wiring, stage } = setup(protocol);
    const xy = createSerialXYStage(protocol, stage.axis as SerialStageDriver, {
      limits: { x: { minUm: -1000, maxUm: 1000 }, y: { minUm: -1000, maxUm: 1000 } },
      stepsPerUm: { x: emulator.nativePerUm, y: emulator.nativePerUm },
    });
    await stage.connect();
    await xy.connect();
    const p = await xy.moveTo({ xUm: 120, yUm: -35 });
    expect(p.xUm).toBeCloseTo(120, 3);
    expect(p.yUm).toBeCloseTo(-35, 3);
    expect(emulator.positionUm('x')).toBeCloseTo(120, 3);
    expect(emulator.positionUm('y')).toBeCloseTo(-35, 3);
    const q = await xy.moveBy({ xUm: -20, yUm: 5 });
    expect(q.xUm).toBeCloseTo(100, 3);
    expect(q.yUm).toBeCloseTo(-30, 3);
    expect(emulator.positionUm('z')).toBeCloseTo(0, 6);
    expect(wiring.all()).toHaveLength(1);
    await stage.disconnect();
  });
});
