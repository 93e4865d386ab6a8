/**
 * Labels from the simulator's truth. A synthetic stack knows where its focus really is: the paraxial focus it was
 * rendered with, moved by the best-focus shift of its spherical aberration (bestFocus.ts). For training data that
 * label is better than any sharpness fit - above all on phase objects (unstained cells), whose in-focus image is the
 * LEAST contrasted plane, so sharpness metrics put "focus" a micrometre or more away. The fit stays stored beside it
 * as the QC cross-check.
 */
import type { Dataset } from '../dataset';
import { listStacks, requireStackRow, stackFocusLabel, storeAutoLabel } from '../dataset/repo/stacks';
import { isSetupPresetId, SETUP_PRESETS } from '../../shared/optics';
import { bestFocusShiftUm } from './bestFocus';
import { SIM_GENERATOR, type SimRenderParams } from './simDataset';

export interface TruthLabelResult {
  relabelled: number;
  /** Stacks that are not synthetic, or carry no usable truth. */
  skipped: number;
  /** |truth - fit| per relabelled stack (um): how far the sharpness fit was off. */
  fitOffsetsUm: number[];
}

export function simulatorBestFocusUm(rp: SimRenderParams, setupId: string): number | null {
  const optics = rp.variant?.setup ?? (isSetupPresetId(setupId) ? SETUP_PRESETS[setupId] : null);
  if (!optics) return null;
  return rp.zFocusTrueUm + bestFocusShiftUm({ ...optics, wavelengthUm: optics.wavelengthsUm.g });
}

/**
 * `kinds` picks the samples to relabel: by default only unstained (phase) ones, where sharpness fails; stained
 * stacks keep the sharpness fit, which is how real datasets are labelled and where the sharpest image really is
 * (with strong spherical aberration the minimum-RMS estimate of best focus drifts from it).
 */
export function labelFromSimulatorTruth(
  ds: Dataset,
  kinds: ReadonlyArray<'stained' | 'unstained'> = ['unstained'],
): TruthLabelResult {
  const result: TruthLabelResult = { relabelled: 0, skipped: 0, fitOffsetsUm: [] };
  for (const summary of listStacks(ds.db)) {
    const row = requireStackRow(ds.db, summary.id);
    const rp = row.render_params ? (JSON.parse(row.render_params) as SimRenderParams) : null;
    const label = stackFocusLabel(row);
    if (
      !rp ||
      rp.generator !== SIM_GENERATOR ||
      !Number.isFinite(rp.zFocusTrueUm) ||
      !label ||
      !kinds.includes(rp.slide.kind)
    ) {
      result.skipped++;
      continue;
    }
    const truth = simulatorBestFocusUm(rp, row.setup_id);
    if (truth === null) {
      result.skipped++;
      continue;
    }
    storeAutoLabel(ds.db, row.id, label, 'given', truth);
    result.relabelled++;
    if (label.zFocusUm !== null) result.fitOffsetsUm.push(Math.abs(truth - label.zFocusUm));
  }
  return result;
}
