import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * The shipped default slide (resources/slides/, CC0, see ATTRIBUTION.md there): H&E skin, OpenSlide CMU-1,
 * 1024x1024 crop, declared at DEFAULT_SLIDE_PIXEL_SIZE_UM.
 */
export const DEFAULT_SLIDE_FILE = 'cmu1_skin_HE_crop0.png';

function findResources(): string {
  // src/hardware/optics -> repo root; the packaged app may override with FOCUS_STATION_RESOURCES.
  const fromEnv = process.env.FOCUS_STATION_RESOURCES;
  if (fromEnv) return fromEnv;
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '../../../resources');
}

export const DEFAULT_SLIDE_PATH = path.join(findResources(), 'slides', DEFAULT_SLIDE_FILE);
