/** Option parsers shared by the dataset commands (acquire, export, import, dataset): one clear message, exit 2. */
import fs from 'node:fs';
import path from 'node:path';
import { CliError } from './context';

const bad = (msg: string) => new CliError(msg, 2);

/** "-10:10:0.5" -> from -10 to +10 um at 0.5 um (ascending, the stop included). */
export function parseZRange(text: string): { fromUm: number; toUm: number; stepUm: number } {
  const parts = text.split(':').map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (parts.length !== 3 || !parts.every(Number.isFinite)) {
    throw bad(`--range "${text}": expected from:to:step in um, e.g. -10:10:0.5`);
  }
  const [fromUm, toUm, stepUm] = parts;
  if (!(toUm > fromUm) || !(stepUm > 0))
    throw bad(`--range "${text}": "to" must be above "from" and the step positive`);
  return { fromUm, toUm, stepUm };
}

/** "4x5" -> 4 positions along x, 5 along y. */
export function parseGrid(text: string): { nx: number; ny: number } {
  const m = /^(\d+)x(\d+)$/i.exec(text.trim());
  const nx = m ? Number(m[1]) : NaN;
  const ny = m ? Number(m[2]) : NaN;
  if (!m || nx < 1 || ny < 1 || nx > 100 || ny > 100)
    throw bad(`--grid "${text}": expected NxM, e.g. 4x5 (1..100 each)`);
  return { nx, ny };
}

/** "896x896" -> a camera region of interest in pixels. */
export function parseRoi(text: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/i.exec(text.trim());
  const width = m ? Number(m[1]) : NaN;
  const height = m ? Number(m[2]) : NaN;
  if (!m || width < 32 || height < 32 || width > 8192 || height > 8192) {
    throw bad(`--roi "${text}": expected WxH in pixels, e.g. 896x896 (32..8192)`);
  }
  return { width, height };
}

export function parseNumber(name: string, text: string, o: { int?: boolean; min?: number; max?: number } = {}): number {
  const v = Number(text);
  if (
    !Number.isFinite(v) ||
    (o.int && !Number.isInteger(v)) ||
    (o.min !== undefined && v < o.min) ||
    (o.max !== undefined && v > o.max)
  ) {
    const range = o.min !== undefined || o.max !== undefined ? ` within ${o.min ?? '-inf'}..${o.max ?? 'inf'}` : '';
    throw bad(`${name} "${text}": expected ${o.int ? 'an integer' : 'a number'}${range}`);
  }
  return v;
}

/** Commander collector for repeatable, comma-separated options (--exclude a,b --exclude c). */
export function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

/** A dataset that must already exist (stats, stacks, export). */
export function existingDb(file: string): string {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new CliError(`no dataset at ${abs}`, 1);
  return abs;
}
