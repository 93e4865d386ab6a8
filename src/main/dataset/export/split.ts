/**
 * Deterministic train/test split of units (stacks or slides): each unit's rank is the sha256 of "<seed>:<unit>",
 * the lowest ranks go to test. The same seed and the same units give the same split whatever their order, and
 * adding units moves few existing ones. n_test = round(0.1 n), at least 1 when there are 2 units or more.
 */
import crypto from 'node:crypto';

export type Split = 'train' | 'test';

export function testCount(n: number, testFraction = 0.1): number {
  if (n < 2) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
}

export function splitUnits<T extends string | number>(units: T[], seed: number, testFraction = 0.1): Map<T, Split> {
  const unique = [...new Set(units)];
  const ranked = unique
    .map((u) => ({ u, h: crypto.createHash('sha256').update(`${seed}:${u}`).digest('hex') }))
    .sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0));
  const nTest = testCount(unique.length, testFraction);
  return new Map(ranked.map((r, i) => [r.u, i < nTest ? 'test' : 'train']));
}
