/**
 * The optics presets (src/shared/optics.ts) as dataset setups: a run on a preset setup that the dataset does not
 * know yet adds it, with the pixel size = camera pixel pitch / magnification.
 */
import type Database from 'better-sqlite3';
import { isSetupPresetId, SETUP_PRESETS, samplePixelSizeUm, type OpticalSetup } from '../../shared/optics';
import type { Setup, SetupInput } from '../../shared/dataset';
import { DatasetError } from './errors';
import { getSetup, upsertSetup } from './repo/setups';

export function setupFromOptics(o: OpticalSetup): SetupInput {
  return {
    id: o.id,
    name: o.name,
    magnification: o.magnification,
    na: o.na,
    immersion: o.immersionIndex > 1.4 ? 'oil' : o.immersionIndex > 1.3 ? 'water' : 'air',
    immersionIndex: o.immersionIndex,
    condenserSigma: o.condenserSigma,
    cameraPixelPitchUm: o.pixelPitchUm,
    pixelSizeUm: samplePixelSizeUm(o),
    camera: o.camera || null,
    notes: 'from the optics preset',
  };
}

/** The setup from the dataset, else the preset of that id (added to the dataset); refuses an unknown id. */
export function ensureSetup(db: Database.Database, id: string): Setup {
  const known = getSetup(db, id);
  if (known) return known;
  if (isSetupPresetId(id)) return upsertSetup(db, setupFromOptics(SETUP_PRESETS[id]));
  throw new DatasetError(
    'bad-input',
    `optical setup "${id}" is neither in the dataset nor a preset (${Object.keys(SETUP_PRESETS).join(', ')})`,
  );
}
