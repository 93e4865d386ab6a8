import { describe, expect, it } from 'vitest';
import { liveSharpness, liveSharpnessStream, quickFocusCurve } from '../../../src/main/acquisition/coarseFocus';
import { fakeDevices } from '../../helpers/fakeMicroscope';

describe('coarse focus', () => {
  it('a quick sweep finds focus and leaves the stage there, approached from below', async () => {
    const dev = await fakeDevices({ zFocusUm: 23.4, seed: 8 }, { backlashUm: 2 });
    await dev.z.moveTo(30);
    const r = await quickFocusCurve({ camera: dev.camera, z: dev.z, centerUm: 25, halfRangeUm: 8, stepUm: 1 });
    expect(r.points).toHaveLength(17);
    expect(Math.abs(r.zBestUm - 23.4)).toBeLessThan(0.3);
    expect(r.label.qc).not.toBe('fail');
    expect(Math.abs(dev.m.z - r.zBestUm)).toBeLessThan(1e-9); // no backlash error at the end
    const last = dev.z.moves[dev.z.moves.length - 1];
    expect(last.to).toBeGreaterThan(last.from);
  });

  it('the live readout is highest in focus', async () => {
    const dev = await fakeDevices({ zFocusUm: 0, seed: 8 });
    await dev.z.moveTo(0);
    const inFocus = await liveSharpness(dev.camera);
    await dev.z.moveTo(5);
    const out = await liveSharpness(dev.camera);
    expect(inFocus.value).toBeGreaterThan(out.value * 2);
    const ac = new AbortController();
    const seen: number[] = [];
    for await (const s of liveSharpnessStream(dev.camera, { signal: ac.signal })) {
      seen.push(s.value);
      if (seen.length === 3) ac.abort();
    }
    expect(seen).toHaveLength(3);
  });
});
