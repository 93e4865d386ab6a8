/**
 * The Z direction check on the virtual microscope, whose optics are right by construction (+z = objective away from
 * the sample): consistent for its own stage, reversed for the same stage driven through an inverted axis, at both
 * setups and at fields of different content.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkZDirection } from '../../../src/hardware/calibration';
import { createVirtualMicroscope, type VirtualMicroscope } from '../../../src/hardware/sim';
import type { ZStage } from '../../../src/hardware/types';

/** The same stage with its axis the wrong way round: what a profile with the wrong zDirection gives. */
function inverted(s: ZStage): ZStage {
  return {
    name: `${s.name} (inverted)`,
    connect: () => s.connect(),
    disconnect: () => s.disconnect(),
    isConnected: () => s.isConnected(),
    limits: () => ({ minUm: -s.limits().maxUm, maxUm: -s.limits().minUm }),
    settleMs: () => s.settleMs(),
    position: async () => -(await s.position()),
    moveTo: async (z) => -(await s.moveTo(-z)),
    moveBy: async (dz) => -(await s.moveBy(-dz)),
    isBusy: () => s.isBusy(),
    stop: () => s.stop(),
  };
}

let vm: VirtualMicroscope | null = null;
afterEach(async () => {
  await vm?.dispose();
  vm = null;
});

describe.each([
  ['20x', 300],
  ['40x', 800],
] as const)('Z direction on the virtual microscope %s (field at x = %i um)', (setup, x) => {
  it.each([false, true])('inverted axis: %s', async (invert) => {
    vm = await createVirtualMicroscope({
      setup,
      roi: { width: 192, height: 192 },
      timeScale: 0,
      renderThreads: 0,
      zSettleMs: 0,
      zBacklashUm: 1,
      seed: 3,
    });
    await vm.xyStage.moveTo({ xUm: x, yUm: x / 2 });
    const r = await checkZDirection(invert ? inverted(vm.zStage) : vm.zStage, vm.camera);
    expect(r.readbackOk).toBe(true);
    expect(r.method).toBe('even-odd-correlation');
    expect(r.opticalVerdict).toBe(invert ? 'reversed' : 'consistent');
    expect(Math.abs(r.evenOddCorrelation!)).toBeGreaterThan(0.2);
    // Focus found within a fraction of the depth of field (the 1 um backlash lags the upward sweeps).
    expect(Math.abs(r.focusUm - (invert ? 0 : 1))).toBeLessThan(0.4);
  });
});
