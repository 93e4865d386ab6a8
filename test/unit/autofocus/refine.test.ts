/**
 * The near-focus finish after the network: two planes that straddle the focus settle it (pair.ts), otherwise a third
 * plane and the classic fit (refine.ts); visited planes that bracket the focus start a fallback there.
 */
import { describe, expect, it } from 'vitest';
import { focusFromPair, pairFocus, WIDTH_RANGE_DOF } from '../../../src/main/autofocus/pair';
import { bracketOfVisited, refineNearFocus, REFINE_MAX_SPACING_UM } from '../../../src/main/autofocus/refine';
import { sharpnessOfFrame } from '../../../src/main/autofocus/classic';
import { CEILING_READING_UM, FIRST_GUESS, readSide } from '../../../src/main/autofocus/side';
import { fakeDevices } from '../../helpers/fakeMicroscope';

const DOF = 1.2;
/** The curve shape of pair.ts, focus at z0, width w. */
const curve = (z0: number, w: number) => (z: number) => ({ z, sharpness: 5 / (1 + ((z - z0) / w) ** 2) ** 1.5 });

describe('focus from two planes', () => {
  it('two planes straddling the focus near their middle settle it, whatever the width in the plausible range', () => {
    for (const w of [0.8 * DOF, 1.0 * DOF, 1.4 * DOF]) {
      for (const z0 of [-0.3, 0, 0.15]) {
        const s = curve(z0, w);
        const r = pairFocus(s(-0.8), s(0.8), DOF);
        expect(r?.settled, `w ${w} z0 ${z0}`).toBe(true);
        expect(Math.abs(r!.zFocusUm - z0)).toBeLessThan(0.25);
      }
    }
  });

  it('a focus near one plane of a narrow curve leaves the width too much say: not settled', () => {
    const s = curve(0.5, 0.8 * DOF);
    expect(pairFocus(s(-0.8), s(0.8), DOF)?.settled).toBe(false);
  });

  it('equal sharpness puts the focus at the midpoint for every width', () => {
    for (const w of [0.5, 1, 2])
      expect(focusFromPair({ z: 1, sharpness: 3 }, { z: 3, sharpness: 3 }, w)).toBeCloseTo(2, 6);
  });

  it('two planes on one side of a focus 2 um away do not settle it: the width decides too much there', () => {
    const s = curve(-2, DOF);
    const r = pairFocus(s(0), s(1), DOF);
    expect(r === null || !r.settled).toBe(true);
  });

  it('a ratio no plausible width can give, or an empty plane, gives nothing', () => {
    expect(pairFocus({ z: 0, sharpness: 0 }, { z: 1, sharpness: 3 }, DOF)).toBeNull();
    // Tenfold in 0.1 um: far steeper than any curve of this depth of field.
    const steep = pairFocus({ z: 0, sharpness: 1 }, { z: 0.1, sharpness: 10 }, DOF);
    expect(steep === null || !steep.settled).toBe(true);
    expect(WIDTH_RANGE_DOF[0]).toBeLessThan(WIDTH_RANGE_DOF[1]);
  });
});

describe('visited planes that bracket the focus', () => {
  it('the sharpest between blurrier ones, pointing at its sharper neighbour', () => {
    const b = bracketOfVisited([
      { z: 5, sharpness: 1 },
      { z: -2, sharpness: 4 },
      { z: -5, sharpness: 2 },
    ]);
    expect(b?.here.z).toBe(-2);
    // refineNearFocus puts its second plane at here.z - sign(defocus) * spacing: toward -5.
    expect(Math.sign(b!.defocusUm)).toBe(1);
    expect(Math.abs(b!.defocusUm)).toBeLessThanOrEqual(2);
  });

  it('no bracket when the sharpest is at an end, or with fewer than three planes', () => {
    expect(
      bracketOfVisited([
        { z: 0, sharpness: 5 },
        { z: 3, sharpness: 2 },
        { z: 6, sharpness: 1 },
      ]),
    ).toBeNull();
    expect(
      bracketOfVisited([
        { z: 0, sharpness: 1 },
        { z: 3, sharpness: 2 },
      ]),
    ).toBeNull();
  });
});

describe('refining near focus on a blurring microscope', () => {
  async function setup(zStart: number) {
    const dev = await fakeDevices({ width: 96, height: 96, pixelSizeUm: 0.345, seed: 11 });
    await dev.z.moveTo(zStart);
    const here = { z: zStart, sharpness: sharpnessOfFrame(await dev.camera.snap(), 'tenengrad') };
    return { ...dev, here };
  }

  for (const [start, reading, label] of [
    [0.7, 0.9, 'a reading on the right side'],
    [-1.4, -1.0, 'a reading below focus'],
    [0.8, -1.2, 'a reading on the wrong side'],
  ] as const) {
    it(`${label}: focus within 0.3 um, planes approached inside the limits`, async () => {
      const { camera, z, m, here } = await setup(start);
      const focus = m.zFocusAt(m.xy);
      const r = await refineNearFocus({ camera, zStage: z, here, defocusUm: reading });
      expect(r.peakFound).toBe(true);
      expect(Math.abs(m.z - focus)).toBeLessThan(0.3);
      expect(r.images).toBeGreaterThanOrEqual(2); // without the width of the curve, a pair never settles it
      expect(r.images).toBeLessThanOrEqual(5);
      expect(r.how).toBe('fit');
    });
  }

  it('with the depth of field known, a straddling pair settles it with one new image', async () => {
    const { camera, z, m, here } = await setup(0.5);
    const focus = m.zFocusAt(m.xy);
    // Focus is 0.5 um below: the second plane goes 1 um down, the planes straddle it.
    const r = await refineNearFocus({ camera, zStage: z, here, defocusUm: 0.5, depthOfFieldUm: 1.2 });
    expect(r.how).toBe('pair');
    expect(r.images).toBe(1);
    expect(r.peakFound).toBe(true);
    expect(Math.abs(m.z - focus)).toBeLessThan(0.35);
  });

  it('a reading near 2 um puts the planes either side of the focus, and the pair settles it', async () => {
    const { camera, z, m, here } = await setup(2.2);
    const focus = m.zFocusAt(m.xy);
    const reading = here.z - focus;
    const r = await refineNearFocus({ camera, zStage: z, here, defocusUm: reading, depthOfFieldUm: 1.2 });
    // Twice the reading (capped at REFINE_MAX_SPACING_UM): the second plane lies past the focus, not on it.
    const second = r.points[1].z;
    expect(second - focus).toBeLessThan(-1);
    expect(second - here.z).toBeGreaterThanOrEqual(-REFINE_MAX_SPACING_UM - 1e-9);
    expect(r.how).toBe('pair');
    expect(r.images).toBe(1);
    expect(Math.abs(m.z - focus)).toBeLessThan(0.35);
  });

  it('at the soft limit the second plane goes the other way, never outside', async () => {
    const dev = await fakeDevices({ width: 96, height: 96, pixelSizeUm: 0.345, seed: 11 });
    const { minUm } = dev.z.limits();
    await dev.z.moveTo(minUm);
    const here = { z: minUm, sharpness: sharpnessOfFrame(await dev.camera.snap(), 'tenengrad') };
    const r = await refineNearFocus({ camera: dev.camera, zStage: dev.z, here, defocusUm: 1 });
    for (const p of r.points) expect(p.z).toBeGreaterThanOrEqual(minUm);
    expect(r.points.length).toBeGreaterThanOrEqual(2);
  });
});

describe('a flip after a reading at the model ceiling', () => {
  it('takes the geometric defocus (reading before + move), since the reading is only a lower bound', () => {
    const first = readSide(FIRST_GUESS, 8.9, null, 0.25, true); // the model says +8.9 (truth: -8.9)
    expect(first.defocusUm).toBeCloseTo(8.9);
    const after = readSide(first.belief, 9.0, { magnitudeUm: 8.9, movedUm: -8.9 }, 0.25, true);
    expect(after.belief.flips).toBe(1);
    expect(after.defocusUm).toBeCloseTo(-17.8, 6);
  });

  it('a flip below the ceiling keeps the reading', () => {
    const first = readSide(FIRST_GUESS, 3, null, 0.25, true);
    const after = readSide(first.belief, CEILING_READING_UM - 2, { magnitudeUm: 3, movedUm: -3 }, 0.25, true);
    expect(Math.abs(after.defocusUm)).toBeCloseTo(CEILING_READING_UM - 2, 6);
  });
});
