/** Pixel size from a sidecar "<image name>.json" ({"pixel_size_um": 0.325}) next to the image. */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/** "<name>.json" next to "<name>.tif" (and, as some software writes it, "<name>.tif.json"). */
export function sidecarPaths(imagePath: string): string[] {
  return [join(dirname(imagePath), `${basename(imagePath, extname(imagePath))}.json`), `${imagePath}.json`];
}

export interface Sidecar {
  pixelSizeUm?: number;
  exposureMs?: number;
}

/** What the sidecar says; empty when there is none or it is not readable JSON. */
export function readSidecar(imagePath: string): Sidecar {
  for (const path of sidecarPaths(imagePath)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null) continue;
    const r = parsed as Record<string, unknown>;
    return {
      pixelSizeUm: positive(r.pixel_size_um ?? r.pixelSizeUm),
      exposureMs: positive(r.exposure_ms ?? r.exposureMs),
    };
  }
  return {};
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}
