import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/main/dataset/db';
import { focusCurveOf } from '../../../src/main/dataset/labelling';
import { recordAutofocusRun } from '../../../src/main/dataset/hardExample';
import { listImages } from '../../../src/main/dataset/repo/images';
import { decideStack, getStack, listStacks } from '../../../src/main/dataset/repo/stacks';
import { datasetStats } from '../../../src/main/dataset/stats';
import { DatasetStatsSchema, FocusCurveSchema, StackSummarySchema } from '../../../src/shared/dataset';
import { addFakeStack, frameOf, newDataset, seedSetupAndSlide } from '../../helpers/datasetFixtures';

const Z = Array.from({ length: 17 }, (_, i) => -4 + 0.5 * i);

describe('stacks: labels, operator decisions, focus curve, stats', () => {
  let ds: Dataset;
  let stackId: number;
  let truth: number;
  let slideId: number;
  beforeAll(async () => {
    ds = newDataset('stacks');
    const { setup, slide } = seedSetupAndSlide(ds);
    slideId = slide.id;
    ({ stackId, zFocusTrue: truth } = await addFakeStack(ds, {
      slideId: slide.id,
      setupId: setup.id,
      z: Z,
      fake: { seed: 41, focusJitterUm: 0.5 },
    }));
    await addFakeStack(ds, { slideId: slide.id, setupId: setup.id, z: Z, xUm: 2000, fake: { seed: 42 } });
  });
  afterAll(() => ds.close());

  it('labels with the fit and records how z_focus was found', () => {
    const s = getStack(ds.db, stackId)!;
    expect(StackSummarySchema.parse(s)).toEqual(s);
    expect(s.zFocusSource).toBe('fit');
    expect(Math.abs(s.zFocusUm! - truth)).toBeLessThan(0.25);
    expect([s.nImages, s.zMinUm, s.zMaxUm]).toEqual([17, -4, 4]);
    const curve = focusCurveOf(ds.db, stackId);
    expect(FocusCurveSchema.parse(curve)).toEqual(curve);
    expect(curve.points).toHaveLength(17);
    expect(curve.label).toMatchObject({ metric: 'tenengrad', fit: 'gaussian', qc: 'pass' });
    expect(curve.label!.nPoints).toBeGreaterThanOrEqual(3);
    expect(curve.fitted.length).toBeGreaterThan(10);
    expect(focusCurveOf(ds.db, stackId, 'brenner').metric).toBe('brenner');
  });

  it('override relabels every image; reset restores the automatic label; exclude is counted', () => {
    const auto = getStack(ds.db, stackId)!.zFocusUm!;
    decideStack(ds.db, stackId, { action: 'override', zFocusUm: 1.25, note: 'checked by eye' });
    expect(getStack(ds.db, stackId)).toMatchObject({
      zFocusUm: 1.25,
      zFocusSource: 'operator',
      operatorStatus: 'overridden',
    });
    for (const i of listImages(ds.db, stackId)) expect(i.defocusUm).toBeCloseTo(i.zUm - 1.25, 12);
    decideStack(ds.db, stackId, { action: 'reset' });
    expect(getStack(ds.db, stackId)).toMatchObject({ zFocusUm: auto, zFocusSource: 'fit', operatorStatus: 'auto' });
    for (const i of listImages(ds.db, stackId)) expect(i.defocusUm).toBeCloseTo(i.zUm - auto, 12);
    decideStack(ds.db, stackId, { action: 'exclude' });
    const st = datasetStats(ds);
    expect(DatasetStatsSchema.parse(st)).toEqual(st);
    expect(st.stacksByOperator.excluded).toBe(1);
    decideStack(ds.db, stackId, { action: 'accept' });
    expect(getStack(ds.db, stackId)!.operatorStatus).toBe('accepted');
  });

  it('stores a hard-example autofocus run as a labelled one-image stack', async () => {
    const data = new Uint8Array(64 * 48 * 3).map((_, i) => (i * 31) % 251);
    const r = await recordAutofocusRun(
      ds,
      {
        setupId: '20x',
        slideId,
        method: 'cnn',
        zStartUm: 3.0,
        zEndUm: 0.4,
        verifiedResidualUm: 0.1,
        hardExample: true,
        predictions: [{ patch: 0, d: 1.2 }],
      },
      frameOf(data, 64, 48, 3),
    );
    expect(r.stackId).not.toBeNull();
    const img = listImages(ds.db, r.stackId!)[0];
    expect(img.defocusUm).toBeCloseTo(3.0 - 0.3, 12);
    const plain = await recordAutofocusRun(ds, { method: 'cnn', zStartUm: 1, zEndUm: 0 });
    expect(plain.stackId).toBeNull();
    const st = datasetStats(ds);
    expect(st).toMatchObject({ autofocusRuns: 2, hardExamples: 1, slides: 1, stacks: 3, images: 35, schemaVersion: 1 });
    expect(st.bySetup).toEqual([{ setupId: '20x', name: '20x / 0.75', stacks: 3, images: 35 }]);
    expect(listStacks(ds.db, { setupId: '20x' })).toHaveLength(3);
  });
});
