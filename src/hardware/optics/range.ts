import { OpticsError } from './errors';

export const MAX_PLANES = 10_001;

/**
 * Parses a defocus range "start:stop:step" in um, stop included: '-10:10:0.5' -> [-10, -9.5, ..., 10] (41 planes).
 * A range that runs downwards needs a negative step ('10:-10:-0.5'); a single plane is 'd:d:1' or just 'd'.
 */
export function parseRange(text: string): number[] {
  const parts = String(text).trim().split(':');
  const bad = (why: string) =>
    new OpticsError('BAD_RANGE', `Invalid range "${text}": ${why} (expected start:stop:step in um, e.g. -10:10:0.5)`);
  if (parts.length === 1 && parts[0] !== '') parts.push(parts[0], '1');
  if (parts.length !== 3) throw bad('it needs three numbers separated by ":"');
  const [start, stop, step] = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (![start, stop, step].every(Number.isFinite)) throw bad('every part must be a finite number');
  if (step === 0) throw bad('the step cannot be 0');
  if (stop !== start && Math.sign(stop - start) !== Math.sign(step))
    throw bad('the step must point from start to stop');
  const n = Math.floor(Math.abs(stop - start) / Math.abs(step) + 1e-9) + 1;
  if (n > MAX_PLANES) throw bad(`it would give ${n} planes, more than ${MAX_PLANES}`);
  return Array.from({ length: n }, (_, i) => Math.round((start + i * step) * 1e9) / 1e9);
}
