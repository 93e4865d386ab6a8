/** The stage CLI core and the port probe against emulators speaking the real protocols on pseudo-terminals. */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulatorOnPty, type PtyEmulator } from '../../../src/hardware/emulators';
import { runStageCommand } from '../../../src/hardware/serial/stage-command';
import { probePort } from '../../../src/hardware/serial/probe';
import { PROTOCOL_NAMES } from '../../../src/hardware/serial/protocol';
import { HardwareError } from '../../../src/hardware/types';

let running: PtyEmulator | null = null;
afterEach(async () => {
  await running?.cleanup();
  running = null;
});

describe.each(PROTOCOL_NAMES)('runStageCommand (%s)', (protocol) => {
  it('reports the new position after move-by 5, move-to and position', async () => {
    running = await startEmulatorOnPty(protocol, { speedUmPerS: 5000, initialUm: { z: 3 } });
    const base = { driver: protocol, port: running.hostPath, stepsPerUm: running.emulator.nativePerUm };
    expect((await runStageCommand({ ...base, command: 'position' })).z_um).toBeCloseTo(3, 3);
    expect((await runStageCommand({ ...base, command: 'move-by', valueUm: 5 })).z_um).toBeCloseTo(8, 3);
    expect(running.emulator.positionUm()).toBeCloseTo(8, 3);
    expect((await runStageCommand({ ...base, command: 'move-to', valueUm: -4.5 })).z_um).toBeCloseTo(-4.5, 3);
    // A fresh connection reads GRBL's own report, which has 3 decimals in mm: 1 um resolution.
    const stopped = (await runStageCommand({ ...base, command: 'stop' })).z_um;
    expect(Math.abs(stopped - -4.5)).toBeLessThanOrEqual(protocol === 'grbl' ? 0.5 + 1e-9 : 1e-3);
  });
});

describe('runStageCommand refusals', () => {
  it('refuses a move outside the soft limits without sending a move', async () => {
    running = await startEmulatorOnPty('asi', { speedUmPerS: 5000 });
    const err = await runStageCommand({
      driver: 'asi',
      port: running.hostPath,
      command: 'move-to',
      valueUm: 5000,
      limits: { minUm: -100, maxUm: 100 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HardwareError);
    expect((err as HardwareError).kind).toBe('limit');
    expect(running.emulator.received.some((l) => /^M /.test(l))).toBe(false);
  });

  it('says clearly when the port does not exist', async () => {
    const err = await runStageCommand({ driver: 'grbl', port: '/dev/does-not-exist-42', command: 'position' }).catch(
      (e: unknown) => e,
    );
    expect((err as HardwareError).kind).toBe('disconnected');
    expect((err as HardwareError).message).toMatch(/Cannot open serial port \/dev\/does-not-exist-42/);
  });
});

describe.each(PROTOCOL_NAMES)('probePort finds %s', (protocol) => {
  it('identifies the controller answering on the port', async () => {
    running = await startEmulatorOnPty(protocol);
    const result = await probePort(running.hostPath, { timeoutMs: 300, bootWaitMs: 0 });
    expect(result.found?.protocol).toBe(protocol);
    // Every protocol tried before the right one was rejected, none after it was tried.
    expect(result.attempts.at(-1)?.protocol).toBe(protocol);
    expect(result.attempts.slice(0, -1).every((a) => !a.ok)).toBe(true);
  });
});
