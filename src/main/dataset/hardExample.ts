/**
 * Recording an autofocus run; a hard example (the network was wrong) saves its first frame as a one-image stack
 * labelled from the verified focus (z_focus = z_end - verified residual), so the next export can retrain on it.
 */
import type { Frame } from '../../hardware/types';
import { storePlane } from '../acquisition/storePlane';
import type { Dataset } from './db';
import { DatasetError } from './errors';
import { insertAutofocusRun, type AutofocusRunInput } from './repo/autofocus';
import { createStack, markStackComplete, storeAutoLabel } from './repo/stacks';
import { sharpnessOf } from '../focus/metrics';

export async function recordAutofocusRun(
  ds: Dataset,
  run: Omit<AutofocusRunInput, 'stackId'>,
  firstFrame?: Frame,
): Promise<{ id: number; stackId: number | null }> {
  if (!run.hardExample || !firstFrame) return { id: insertAutofocusRun(ds.db, run), stackId: null };
  if (run.verifiedResidualUm === null || run.verifiedResidualUm === undefined || !run.setupId || !run.slideId) {
    throw new DatasetError('bad-input', 'a hard example needs a verified residual, a setup and a slide to be labelled');
  }
  const zFocus = run.zEndUm - run.verifiedResidualUm;
  const stackId = createStack(ds.db, {
    slideId: run.slideId,
    setupId: run.setupId,
    xUm: run.xUm,
    yUm: run.yUm,
    source: 'autofocus',
  });
  await storePlane(ds, {
    stackId,
    planeIndex: 0,
    zUm: run.zStartUm,
    frame: firstFrame,
    sharpness: sharpnessOf(firstFrame),
  });
  storeAutoLabel(
    ds.db,
    stackId,
    {
      metric: 'tenengrad',
      fit: 'argmax',
      zFocusUm: zFocus,
      zPeakUm: null,
      nPoints: 0,
      fitResidual: null,
      contrast: null,
      nPeaks: 0,
      qc: 'pass',
      flags: [],
    },
    'autofocus-verified',
  );
  markStackComplete(ds.db, stackId);
  return { id: insertAutofocusRun(ds.db, { ...run, stackId }), stackId };
}
