/** What an importer found: stacks of planes (files or TIFF pages), before anything is written. */
import fs from 'node:fs';
import path from 'node:path';
import { DatasetError } from '../errors';

export interface PlannedPlane {
  file: string; // absolute
  page?: number; // TIFF page
  zUm: number;
  /** Given label (file names that carry the defocus). */
  defocusUm?: number;
  originalName: string;
}

export interface PlannedStack {
  slideName: string;
  key: string;
  planes: PlannedPlane[];
  /** Known z_focus (0 when the planes carry their defocus); undefined -> fit. */
  givenZFocusUm?: number;
}

export interface ImportPlan {
  format: 'jiang2018' | 'filenames' | 'tiff-stack';
  stacks: PlannedStack[];
  /** Files that looked like images but did not match the layout. */
  ignored: string[];
}

export const IMAGE_RE = /\.(png|jpe?g|tiff?)$/i;

export function requireDir(root: string, what: string): string {
  const abs = path.resolve(root);
  if (!fs.existsSync(abs)) throw new DatasetError('bad-input', `${what}: ${abs} does not exist`);
  return abs;
}

/** Every file under root (sorted, relative paths with forward slashes). */
export function walkFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(dir, e.name), r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk(root, '');
  return out;
}

/** Groups planes by key and orders each stack by z; refuses two planes at the same z. */
export function groupStacks(
  entries: { slideName: string; key: string; plane: PlannedPlane }[],
  givenZFocusUm: number | undefined,
): PlannedStack[] {
  const map = new Map<string, PlannedStack>();
  for (const e of entries) {
    const id = `${e.slideName}\u0000${e.key}`;
    let s = map.get(id);
    if (!s) map.set(id, (s = { slideName: e.slideName, key: e.key, planes: [], givenZFocusUm }));
    s.planes.push(e.plane);
  }
  for (const s of map.values()) {
    s.planes.sort((a, b) => a.zUm - b.zUm);
    for (let i = 1; i < s.planes.length; i++) {
      if (s.planes[i].zUm === s.planes[i - 1].zUm) {
        throw new DatasetError(
          'bad-input',
          `stack ${s.key}: ${s.planes[i - 1].originalName} and ${s.planes[i].originalName} are both at z = ${s.planes[i].zUm} um`,
        );
      }
    }
  }
  return [...map.values()];
}
