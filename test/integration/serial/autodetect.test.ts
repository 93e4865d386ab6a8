import { afterEach, describe, expect, it } from 'vitest';
import { startEmulatorOnPty, type PtyEmulator } from '../../../src/hardware/emulators';
import { autodetect } from '../../../src/hardware/profiles';
import { createPtyPair, type PtyPair } from '../../../src/hardware/emulators/pty';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('autodetect', () => {
  it('offers the controllers that answer and reports ports where nothing does', async () => {
    const ludl: PtyEmulator = await startEmulatorOnPty('ludl');
    const grbl: PtyEmulator = await startEmulatorOnPty('grbl');
    const silent: PtyPair = await createPtyPair();
    cleanups.push(
      () => ludl.cleanup(),
      () => grbl.cleanup(),
      () => silent.close(),
    );
    const result = await autodetect({
      ports: { list: async () => [] },
      extraPorts: [ludl.hostPath, grbl.hostPath, silent.hostPath],
      probe: { timeoutMs: 250, bootWaitMs: 0 },
      cameras: false,
    });
    expect(result.stages.map((s) => s.found?.protocol ?? null)).toEqual(['ludl', 'grbl', null]);
    expect(result.stages[0].found?.identity).toMatch(/MAC5000/);
    expect(result.stages[2].attempts).toHaveLength(6);
    expect(result.stages[2].attempts.every((a) => a.detail.startsWith('timeout'))).toBe(true);
  });
});
