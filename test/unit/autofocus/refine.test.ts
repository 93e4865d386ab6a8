/**
 * The near-focus finish after the network: two planes that straddle the focus settle it (pair.ts), otherwise a third
 * plane and the classic fit (refine.ts); visited planes that bracket the focus start a fallback there.
 */
import { describe, expect, it } from 'vitest';
import {
  focusFromPair,
  PAIR_AGREEMENT_UM,
  pairAgreementUm,
  pairFocus,
  pairFocusWithReadings,
  READING_SCALE_RANGE,
  WIDTH_RANGE_DOF,
} from '../../../src/main/autofocus/pair';
import {
  bracketOfVisited,
  edgePairFocus,
  EDGE_PAIR_MAX_READING_UM,
  focusBeyond,
  READING_FLOOR_UM,
  readingsStraddle,
  refineNearFocus,
  REFINE_MAX_SPACING_UM,
} from '../../../src/main/autofocus/refine';
import { sharpnessOfFrame } from '../../../src/main/autofocus/classic';
import { CEILING_READING_UM, FIRST_GUESS, readSide } from '../../../src/main/autofocus/side';
import { fakeDevices } from '../../helpers/fakeMicroscope';
import type { Frame } from '../../../src/hardware/types';
import { RecordingZStage, TinyCamera } from './stubs';

/** A camera whose tenengrad follows curve(z): a fixed random texture scaled by the curve's square root (16-bit). */
class CurveCamera extends TinyCamera {
  constructor(
    private readonly z: RecordingZStage,
    private readonly curve: (z: number) => number,
  ) {
    super(z, 0);
  }
  override async snap(): Promise<Frame> {
    const n = 64;
    const amp = 1500 * Math.sqrt(this.curve(this.z.z));
    const data = new Uint16Array(n * n);
    for (let i = 0; i < data.length; i++) data[i] = Math.round(30000 + amp * Math.sin(i * 12.9898 + 78.233 * (i % 7)));
    return { ...(await super.snap()), width: n, height: n, bitDepth: 16, data, zUm: this.z.z };
  }
}

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

  it('planes closer than half a step count as one: no bracket 0.25 um wide in the tail of the curve', () => {
    // The planes of a 40x run on monochrome frames: the focus at 0, the network wrong about the side each time.
    const b = bracketOfVisited([
      { z: -3.53, sharpness: 1.05 },
      { z: 3.99, sharpness: 0.98 },
      { z: -3.78, sharpness: 1.02 },
      { z: -11.44, sharpness: 0.3 },
      { z: 3.89, sharpness: 1.0 },
    ]);
    expect(b?.here.z).toBe(-3.53);
    // Toward the plane 7.4 um up (the other side of the focus), not the one 0.25 um down.
    expect(b!.defocusUm).toBeCloseTo(-2, 9);
    // Two close planes at the sharp end: the end is still the end.
    expect(
      bracketOfVisited([
        { z: -6, sharpness: 1 },
        { z: 0.2, sharpness: 4 },
        { z: 0, sharpness: 5 },
      ]),
    ).toBeNull();
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

describe('a pair checked against the network reading of its second plane', () => {
  it('readings that add up to the spacing straddle the focus, readings that differ by it do not, at any scale', () => {
    expect(readingsStraddle(1.45, 2.55, 4)).toBe(true);
    expect(readingsStraddle(-2.26, 4.04, 4)).toBe(true); // a model reading 1.6x too much; the side does not matter
    expect(readingsStraddle(0.9, 2.7, 1.8)).toBe(false);
    expect(readingsStraddle(1.4, 4.2, 1.8)).toBe(false); // 1.6x too much, one side
    expect(readingsStraddle(0.84, 1.26, 3)).toBe(true); // 0.7x, either side
    expect(readingsStraddle(0.47, 1.27, 1)).toBeNull(); // a reading at the model's floor has no say
  });

  it('a pair on one side of the focus settles between its planes, and only the reading tells it is wrong', () => {
    // The curve of pair.ts with a noise floor of 1 % of its peak, as tenengrad has: focus at 0, planes 2.75 and
    // 6.75 um above it (the second plane went the wrong way).
    const s = (z: number) => ({ z, sharpness: 5 / (1 + (z / DOF) ** 2) ** 1.5 + 0.05 });
    const pair = pairFocus(s(2.75), s(6.75), DOF)!;
    expect(pair.settled).toBe(true);
    expect(pair.zFocusUm).toBeGreaterThan(3); // between the planes: 3-4 um off
    expect(readingsStraddle(2.75, 6.75, 4)).toBe(false);
    // A pair that straddles the focus agrees with the reading of its second plane.
    const straddle = pairFocus(s(0.9), s(-1.3), DOF)!;
    expect(straddle.settled).toBe(true);
    expect(readingsStraddle(0.9, 1.3, 2.2)).toBe(true);
  });

  it('a wrong side: refineNearFocus refuses the pair and finds the focus beyond the first plane', async () => {
    const stage = new RecordingZStage({ minUm: -50, maxUm: 50 }, 2.75);
    const camera = new CurveCamera(stage, (z) => 1 / (1 + (z / DOF) ** 2) ** 1.5 + 0.01);
    const snap = await camera.snap();
    const here = { z: 2.75, sharpness: sharpnessOfFrame(snap, 'tenengrad') };
    const run = (readMagnitude?: (f: Frame) => Promise<number | null>) =>
      refineNearFocus({ camera, zStage: stage, here, defocusUm: -2.75, depthOfFieldUm: DOF, readMagnitude });
    // Without the reading the pair settles between 2.75 and 6.75: the defect this check removes.
    const blind = await run();
    expect(blind.how).toBe('pair');
    expect(stage.z).toBeGreaterThan(2.75);
    await stage.moveTo(2.75);
    const checked = await run(async (f) => Math.abs(f.zUm!));
    expect(checked.how).toBe('fit');
    expect(checked.points[1].z).toBeCloseTo(6.75, 6);
    expect(Math.abs(stage.z)).toBeLessThan(0.3);
  });
});

describe('the focus beyond two planes on one side', () => {
  it('lies beyond the plane that reads less, by the mean of the two readings less the spacing', () => {
    // Planes at 2.75 and 6.75 above a focus at 0, read exactly: 2.75 below the lower one.
    expect(focusBeyond({ z: 2.75, sharpness: 1 }, -2.75, { z: 6.75, sharpness: 0.2 }, 6.75)).toBeCloseTo(0, 9);
    // The same below the focus, the second plane the nearer one.
    expect(focusBeyond({ z: -6, sharpness: 0.2 }, 6, { z: -2, sharpness: 1 }, 2)).toBeCloseTo(0, 9);
    // Readings that leave nothing beyond: half a step past the nearer plane.
    expect(focusBeyond({ z: 1, sharpness: 1 }, 0.2, { z: 3, sharpness: 0.5 }, 2.1)).toBeCloseTo(0.5, 9);
  });
});

describe('a pair with one plane near the focus, narrowed by the network reading of the other', () => {
  // The landing plane 0.15 um above the focus (the network reads its floor there), the second plane 1.2 um below it.
  const near = (w: number) => {
    const s = curve(0, w);
    return { a: s(0.15), b: s(-1.05) };
  };

  it('the widths alone leave the focus open; a reading of the far plane taken at its word settles it', () => {
    // (A wider curve, 1.3 DOF and up, lets this pair settle alone.)
    for (const w of [0.8 * DOF, 0.9 * DOF, 1.0 * DOF]) {
      const { a, b } = near(w);
      const pair = pairFocus(a, b, DOF)!;
      expect(pair.settled, `w ${w}`).toBe(false);
      expect(pair.zMinUm).toBeLessThanOrEqual(pair.zFocusUm);
      // The far plane read 1.1x (the focus above it), the near one at the model's floor with the wrong side.
      const z = pairFocusWithReadings(
        pair,
        { ...a, readingUm: 0.55 },
        { ...b, readingUm: -1.05 * 1.1 },
        READING_FLOOR_UM,
        true,
      );
      expect(z, `w ${w}`).not.toBeNull();
      expect(Math.abs(z!), `w ${w}`).toBeLessThan(0.25);
    }
  });

  it('no answer when the reading disagrees with the pair, names the other side, or sits at the floor', () => {
    const { a, b } = near(DOF);
    const pair = pairFocus(a, b, DOF)!;
    const at = (ra: number | null, rb: number | null, sided = true) =>
      pairFocusWithReadings(pair, { ...a, readingUm: ra }, { ...b, readingUm: rb }, READING_FLOOR_UM, sided);
    // Taken at its word, a far plane read 2x puts the focus 1 um above the near plane: none of the pair's answers.
    expect(at(0.55, -2.1)).toBeNull();
    // The far plane's reading puts the focus below it, away from the other plane.
    expect(at(0.55, 1.15)).toBeNull();
    // The same magnitude from a model that reads |d| only has no side to disagree with.
    expect(at(0.55, 1.15, false)).not.toBeNull();
    // Both readings at the model's floor, or none: nothing narrows the widths.
    expect(at(0.55, 0.6)).toBeNull();
    expect(at(null, null)).toBeNull();
    expect(READING_SCALE_RANGE[0]).toBeLessThan(1);
    expect(READING_SCALE_RANGE[1]).toBeGreaterThan(1);
  });

  it('a looser tolerance lets two planes settle what the default leaves to a third; a tighter one changes nothing', async () => {
    expect(pairAgreementUm(0.1)).toBe(PAIR_AGREEMENT_UM);
    expect(pairAgreementUm(0.25)).toBe(PAIR_AGREEMENT_UM);
    expect(pairAgreementUm(0.5)).toBe(1);
    // The pair above, its answers spread over more than 0.6 um and less than 1: a 0.5 um tolerance takes its middle.
    const { a, b } = near(0.8 * DOF);
    const pair = pairFocus(a, b, DOF)!;
    expect(pair.spreadUm).toBeGreaterThan(PAIR_AGREEMENT_UM);
    expect(pair.spreadUm).toBeLessThan(1);
    expect(pairFocus(a, b, DOF, pairAgreementUm(0.5))?.settled).toBe(true);
    const stage = new RecordingZStage({ minUm: -50, maxUm: 50 }, 0.15);
    const camera = new CurveCamera(stage, (z) => 1 / (1 + (z / (0.8 * DOF)) ** 2) ** 1.5);
    const here = { z: 0.15, sharpness: sharpnessOfFrame(await camera.snap(), 'tenengrad') };
    const run = async (toleranceUm?: number) => {
      await stage.moveTo(0.15);
      return refineNearFocus({ camera, zStage: stage, here, defocusUm: 0.6, depthOfFieldUm: DOF, toleranceUm });
    };
    const loose = await run(0.5);
    expect(loose.how).toBe('pair');
    expect(loose.images).toBe(1);
    expect(Math.abs(stage.z)).toBeLessThanOrEqual(0.5);
    for (const toleranceUm of [undefined, 0.1]) {
      const strict = await run(toleranceUm);
      expect(strict.how).toBe('fit');
      expect(strict.images).toBeGreaterThanOrEqual(2);
    }
  });

  it('refineNearFocus settles it with one new image where the pair alone needs a third plane', async () => {
    const stage = new RecordingZStage({ minUm: -50, maxUm: 50 }, 0.15);
    const camera = new CurveCamera(stage, (z) => 1 / (1 + (z / DOF) ** 2) ** 1.5 + 0.01);
    const here = { z: 0.15, sharpness: sharpnessOfFrame(await camera.snap(), 'tenengrad') };
    // The network reads its floor at the landing plane (0.55 um, side right) and 1.1x the defocus further out.
    const run = (readMagnitude?: (f: Frame) => Promise<number | null>) =>
      refineNearFocus({ camera, zStage: stage, here, defocusUm: 0.55, depthOfFieldUm: DOF, readMagnitude });
    const read = await run(async (f) => 1.1 * f.zUm!);
    expect(read.how).toBe('pair+reading');
    expect(read.images).toBe(1);
    expect(Math.abs(stage.z)).toBeLessThan(0.25);
    await stage.moveTo(0.15);
    const blind = await run();
    expect(blind.how).toBe('fit');
    expect(blind.images).toBeGreaterThanOrEqual(2);
    expect(Math.abs(stage.z)).toBeLessThan(0.3);
  });
});

describe('the sharpest plane at an end, its neighbour about as sharp (edge pair)', () => {
  // 40x depth of field; the planes of a bench run (bench:autofocus --setup 40x --seed 3 --trace, run 46): the landing
  // plane read the wrong side at its floor, the second plane went away from the focus, the third landed past it.
  const DOF_40X = 1.36;
  const run46 = [
    { z: -0.12, sharpness: 0.99 },
    { z: -1.31, sharpness: 0.37 },
    { z: 0.21, sharpness: 1 },
  ];

  it('settles between the two sharp planes, where the curve fit would add a plane beyond the edge', () => {
    const found = edgePairFocus(run46, DOF_40X, PAIR_AGREEMENT_UM);
    expect(found?.edge.z).toBe(0.21);
    expect(found!.pair.zFocusUm).toBeGreaterThan(-0.12);
    expect(found!.pair.zFocusUm).toBeLessThan(0.21);
  });

  it('no edge pair when the neighbour is much blurrier, the curve does not fall beyond, or the peak is inside', () => {
    const blurrier = [run46[0], run46[1], { z: 0.21, sharpness: 2 }];
    expect(edgePairFocus(blurrier, DOF_40X, PAIR_AGREEMENT_UM)).toBeNull();
    const flat = [run46[0], { z: -1.31, sharpness: 0.8 }, run46[2]]; // the tail: every plane about as sharp
    expect(edgePairFocus(flat, DOF_40X, PAIR_AGREEMENT_UM)).toBeNull();
    const inside = [run46[0], run46[1], { z: 0.21, sharpness: 0.9 }];
    expect(edgePairFocus(inside, DOF_40X, PAIR_AGREEMENT_UM)).toBeNull();
    expect(edgePairFocus(run46.slice(0, 2), DOF_40X, PAIR_AGREEMENT_UM)).toBeNull();
  });

  it('on the curve of pair.ts with noise, every edge pair within the reading limit settles within 0.4 um', () => {
    // Widths across the plausible range, a noise floor of 0-5 % of the peak, 3 % noise per plane, the layouts refine
    // leaves (planes 0.5-4 um apart), the focus anywhere in -8..+8 um. The network check admits an edge plane it reads
    // within EDGE_PAIR_MAX_READING_UM, at up to 1.25x: within 1.6 um of the focus.
    let x = 12345;
    const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
    const layouts = [
      [-2, -1, 0],
      [0, 1, 2],
      [-1.5, 0, 1],
      [-4, -1.5, 0],
      [-4, 0, 1],
      [-3, -1, 0, 1],
      [-0.5, 0, 0.5],
    ];
    let settled = 0;
    let worst = 0;
    for (const wDof of [0.65, 1, 1.5])
      for (const floor of [0, 0.01, 0.05])
        for (let z0 = -8; z0 <= 8; z0 += 0.05)
          for (const layout of layouts) {
            const points = layout.map((z) => ({
              z,
              sharpness: (1 / (1 + ((z - z0) / (wDof * DOF_40X)) ** 2) ** 1.5 + floor) * (1 + 0.03 * (2 * rnd() - 1)),
            }));
            const found = edgePairFocus(points, DOF_40X, PAIR_AGREEMENT_UM);
            if (!found || 1.25 * Math.abs(found.edge.z - z0) > EDGE_PAIR_MAX_READING_UM) continue;
            settled++;
            worst = Math.max(worst, Math.abs(found.pair.zFocusUm - z0));
          }
    expect(settled).toBeGreaterThan(200);
    expect(worst).toBeLessThan(0.4);
  });

  /**
   * A landing plane 0.25 um below the focus that the network read +0.6 um (the wrong side, at its floor), on the
   * curve of pair.ts at 40x; the network's later readings as given. Returns the refine result and the stage.
   */
  async function refineFromWrongLanding(readMagnitude: (f: Frame) => Promise<number | null>) {
    const stage = new RecordingZStage({ minUm: -50, maxUm: 50 }, -0.25);
    const camera = new CurveCamera(stage, (z) => 1 / (1 + (z / DOF_40X) ** 2) ** 1.5 + 0.01);
    const here = { z: -0.25, sharpness: sharpnessOfFrame(await camera.snap(), 'tenengrad') };
    const r = await refineNearFocus({
      camera,
      zStage: stage,
      here,
      defocusUm: 0.6,
      depthOfFieldUm: DOF_40X,
      readMagnitude,
    });
    return { r, stage };
  }

  it('refineNearFocus: a wrong side at the floor, the third plane past the focus, the edge pair ends it', async () => {
    // Further out the network reads 1.1x.
    const { r, stage } = await refineFromWrongLanding(async (f) => 1.1 * f.zUm!);
    expect(r.points.map((p) => p.z)).toHaveLength(3);
    expect(r.points[1].z).toBeLessThan(-1); // away from the focus
    expect(r.points[2].z).toBeGreaterThan(0); // past it, the sharpest plane: a curve fit calls it an edge
    expect(Math.max(...r.points.map((p) => p.sharpness))).toBe(r.points[2].sharpness);
    expect(r.how).toBe('pair');
    expect(r.images).toBe(2);
    expect(Math.abs(stage.z)).toBeLessThan(0.25);
  });

  it('the network must read the sharper plane near focus: a reading beyond the limit leaves it to the fit', async () => {
    // Readings far off at every plane past the second: the edge pair is refused and a plane beyond is added.
    let reads = 0;
    const { r, stage } = await refineFromWrongLanding(async (f) =>
      ++reads === 1 ? 1.1 * f.zUm! : EDGE_PAIR_MAX_READING_UM + 1,
    );
    expect(r.how).toBe('fit');
    expect(r.images).toBeGreaterThanOrEqual(3);
    expect(Math.abs(stage.z)).toBeLessThan(0.3);
  });
});
