/**
 * One frame of the virtual microscope at 20x with a noise-free camera (no shot or read noise, no vignetting), for
 * tests that compare colours and levels: a slide, an ROI, the camera's white balance and exposure.
 */
import { createVirtualMicroscope } from '../../src/hardware/sim';
import type { Frame } from '../../src/hardware/types';

export interface SimField {
  frame: Frame;
  exposureMs: number;
}

export async function snapSimField(
  camera: { whiteBalance?: [number, number, number]; exposureMs?: number },
  o: { slidePath?: string; width: number; height: number },
): Promise<SimField> {
  const vm = await createVirtualMicroscope({
    setup: '20x',
    slidePath: o.slidePath,
    roi: { width: o.width, height: o.height },
    camera: { shotNoise: false, readNoiseE: 0, vignetting: 0, ...camera },
    timeScale: 0,
    seed: 3,
    renderThreads: 0,
  });
  try {
    return { frame: await vm.camera.snap(), exposureMs: vm.camera.getExposureMs() };
  } finally {
    await vm.dispose();
  }
}
