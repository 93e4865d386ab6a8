/**
 * Every serial driver against its emulator over real serialport I/O on socat pseudo-terminals:
 * relative and absolute moves with read-back, an error reply, a timeout, and the other end
 * dropping mid-move (clear error, usable again after reconnect, no stray move after the error).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulatorOnPty, type PtyEmulator } from '../../../src/hardware/emulators';
import { createSerialStage } from '../../../src/hardware/serial/factory';
import { PROTOCOL_NAMES, type ProtocolName } from '../../../src/hardware/serial/protocol';
import { HardwareError } from '../../../src/hardware/types';

const MOVE_COMMAND: Record<ProtocolName, RegExp> = {
  grbl: /^\$J=/,
  sangaboard: /^mr/,
  prior: /^[UDG],/i,
  asi: /^[MR]\s/i,
  tango: /^!mo[ar]/,
  ludl: /^MOV/i,
};

let running: PtyEmulator | null = null;
afterEach(async () => {
  await running?.cleanup();
  running = null;
});

async function start(protocol: ProtocolName, speedUmPerS: number, timeoutMs = 1500) {
  running = await startEmulatorOnPty(protocol, { speedUmPerS });
  const stage = createSerialStage({
    driver: protocol,
    port: running.hostPath,
    stepsPerUm: running.emulator.nativePerUm,
    limits: { minUm: -200, maxUm: 200 },
    timeoutMs,
    moveTimeoutMs: 10_000,
    pollMs: 10,
  });
  await stage.connect();
  return { pty: running, emulator: running.emulator, stage };
}

async function rejection(p: Promise<unknown>): Promise<HardwareError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HardwareError);
  return err as HardwareError;
}

describe.each(PROTOCOL_NAMES)('%s over a socat pseudo-terminal', (protocol) => {
  it('moves Z by absolute and relative amounts and reads the position back', async () => {
    const { emulator, stage } = await start(protocol, 2000);
    expect(await stage.position()).toBeCloseTo(0, 3);
    expect(await stage.moveTo(25)).toBeCloseTo(25, 3);
    expect(await stage.moveBy(-7.5)).toBeCloseTo(17.5, 3);
    expect(await stage.moveBy(0.5)).toBeCloseTo(18, 3);
    expect(await stage.position()).toBeCloseTo(18, 3);
    expect(emulator.positionUm()).toBeCloseTo(18, 3);
    await stage.disconnect();
  });

  it('survives an error reply', async () => {
    const { emulator, stage } = await start(protocol, 2000);
    emulator.failNext(MOVE_COMMAND[protocol]);
    const err = await rejection(stage.moveTo(10));
    expect(err.kind).toBe('device');
    expect(emulator.positionUm()).toBeCloseTo(0, 3);
    expect(await stage.moveTo(10)).toBeCloseTo(10, 3);
    await stage.disconnect();
  });

  it('survives a timeout', async () => {
    const { emulator, stage } = await start(protocol, 2000, 400);
    emulator.setSilent(true);
    const err = await rejection(stage.moveTo(10));
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/within \d+ ms/);
    emulator.setSilent(false);
    expect(await stage.moveTo(10)).toBeCloseTo(10, 3);
    expect(emulator.positionUm()).toBeCloseTo(10, 3);
    await stage.disconnect();
  });

  it('reports a dropped connection mid-move, sends no stray move, and works after reconnecting', async () => {
    // A generous reply timeout: the loss must be reported as a disconnect, not outrun by a timeout on a busy machine.
    const { pty, emulator, stage } = await start(protocol, 100, 3000);
    emulator.dropDuringNextMove(200);
    const err = await rejection(stage.moveTo(150));
    expect(err.kind, err.message).toBe('disconnected');
    expect(stage.isConnected()).toBe(false);
    const stoppedAt = emulator.positionUm();
    expect(stoppedAt).toBeGreaterThan(5);
    expect(stoppedAt).toBeLessThan(150);
    // A command on the dead link fails at once with the same kind of error.
    expect((await rejection(stage.position())).kind).toBe('disconnected');

    const movesBefore = emulator.received.filter((l) => MOVE_COMMAND[protocol].test(l)).length;
    await pty.reconnect();
    await stage.connect();
    expect(await stage.position()).toBeCloseTo(stoppedAt, 0);
    // Nothing resent the interrupted move on its own.
    const movesAfterReconnect = emulator.received.filter((l) => MOVE_COMMAND[protocol].test(l)).length;
    expect(movesAfterReconnect).toBe(movesBefore);
    await new Promise((r) => setTimeout(r, 200));
    expect(emulator.positionUm()).toBeCloseTo(stoppedAt, 3);

    expect(await stage.moveTo(stoppedAt + 2)).toBeCloseTo(stoppedAt + 2, 0);
    await stage.disconnect();
  });
});
