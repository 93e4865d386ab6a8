/** The virtual microscope as a whole: truth in Frame.meta, Z visibly defocuses, XY moves the field, camera faults. */
import { describe, expect, it } from 'vitest';
import { createVirtualMicroscope } from '../../../src/hardware/sim';
import { normalisedVariance } from '../../../src/hardware/optics/metrics';
import { HardwareError } from '../../../src/hardware/types';

describe('createVirtualMicroscope', () => {
  it('snaps frames of the field under XY at the current Z, with the simulator truth in meta', async () => {
    const vm = await createVirtualMicroscope({
      setup: '20x',
      roi: { width: 128, height: 96 },
      zFocusUm: 100,
      zLimits: { minUm: 0, maxUm: 200 },
      timeScale: 0,
      seed: 5,
      renderThreads: 0,
    });
    const info = vm.camera.info();
    expect(info).toMatchObject({ kind: 'sim', width: 128, height: 96, channels: 3, bitDepth: 8 });
    expect(info.pixelSizeUm).toBeCloseTo(0.1725, 6);
    const sharp = await vm.camera.snap();
    expect(sharp.data).toHaveLength(128 * 96 * 3);
    expect(sharp.meta).toMatchObject({ simulator: true, trueDefocusUm: 0, zFocusUm: 100, setupId: '20x' });
    expect(sharp.zUm).toBe(100);
    await vm.zStage.moveBy(6);
    const blurred = await vm.camera.snap();
    expect(blurred.meta?.trueDefocusUm).toBeCloseTo(6, 9);
    expect(vm.truth().defocusUm).toBeCloseTo(6, 9);
    const g = (f: typeof sharp) => normalisedVariance(f.data, 3, 1);
    expect(g(blurred)).toBeLessThan(0.7 * g(sharp));
    await vm.zStage.moveTo(100);
    await vm.xyStage.moveTo({ xUm: 40, yUm: 0 });
    const moved = await vm.camera.snap();
    expect(moved.meta).toMatchObject({ xUm: 40, yUm: 0 });
    let diff = 0;
    for (let i = 0; i < moved.data.length; i++) diff += Math.abs(moved.data[i] - sharp.data[i]);
    expect(diff / moved.data.length).toBeGreaterThan(5);
    vm.setFocusUm(103);
    expect(vm.truth().defocusUm).toBeCloseTo(-3, 9);
    await vm.dispose();
  });

  it('renders on two worker threads off the event loop, bit-identical to the calling thread', async () => {
    const opts = {
      setup: '20x' as const,
      roi: { width: 96, height: 64 },
      zFocusUm: 0,
      timeScale: 0,
      seed: 11,
      camera: { exposureMs: 7 },
    };
    const threaded = await createVirtualMicroscope({ ...opts, renderThreads: 2 });
    const inline = await createVirtualMicroscope({ ...opts, renderThreads: 0 });
    expect(threaded.renderThreads).toBe(2);
    expect(inline.renderThreads).toBe(0);
    for (const vm of [threaded, inline]) await vm.zStage.moveTo(-2.5);
    // the event loop keeps turning while a threaded frame renders
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const a = await threaded.camera.snap();
    clearInterval(timer);
    const b = await inline.camera.snap();
    expect(Buffer.compare(Buffer.from(a.data), Buffer.from(b.data))).toBe(0);
    expect(ticks).toBeGreaterThan(0);
    await threaded.dispose();
    await inline.dispose();
  });

  it('camera faults: failed snap, dropped connection; exposure validated', async () => {
    const vm = await createVirtualMicroscope({
      setup: '40x',
      roi: { width: 64, height: 48 },
      timeScale: 0,
      renderThreads: 0,
    });
    vm.faults.set('camera.snap', 'once');
    const e1 = await vm.camera.snap().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(HardwareError);
    expect((e1 as HardwareError).kind).toBe('capture');
    expect((await vm.camera.snap()).width).toBe(64);
    vm.faults.set('camera.disconnect', 'once');
    expect(((await vm.camera.snap().catch((e: unknown) => e)) as HardwareError).kind).toBe('disconnected');
    expect(vm.camera.isOpen()).toBe(false);
    await vm.camera.open();
    await expect(vm.camera.setExposureMs(-1)).rejects.toThrow(/Exposure/);
    await vm.camera.setExposureMs(2);
    const dim = await vm.camera.snap();
    expect(dim.exposureMs).toBe(2);
    await vm.dispose();
  });
});
