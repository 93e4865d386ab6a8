/** Shared test helpers: fixture paths and scratch folders under test-output/. */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const FIXTURES = resolve(__dirname, '../../fixtures/models');

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

export function fixtureCard(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(fixture(`${name}.json`), 'utf8'));
}

/** A fresh empty folder under test-output/ for one test file (removed first if a previous run left it). */
export function scratchDir(name: string): string {
  const dir = resolve(__dirname, '../../../test-output', `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}
