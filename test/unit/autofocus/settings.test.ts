import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutofocusError } from '../../../src/main/autofocus/errors';
import { loadSettings, mergeSettings, saveSettings, settingsPath } from '../../../src/main/autofocus/settings';
import { AutofocusSettings, DEFAULT_AUTOFOCUS_SETTINGS } from '../../../src/shared/autofocus';

const dir = () => mkdtempSync(join(tmpdir(), 'af-settings-'));

describe('autofocus settings', () => {
  it('defaults match the issue: 0.25 um tolerance, 30 um max move, fallback on', () => {
    expect(DEFAULT_AUTOFOCUS_SETTINGS).toMatchObject({ toleranceUm: 0.25, maxMoveUm: 30, fallback: true, model: null });
    expect(DEFAULT_AUTOFOCUS_SETTINGS.stepLimit).toBeGreaterThanOrEqual(1);
  });

  it('a missing file gives the defaults, no problem', async () => {
    const r = await loadSettings(settingsPath(dir()));
    expect(r).toEqual({ settings: DEFAULT_AUTOFOCUS_SETTINGS, problem: null });
  });

  it('round-trips through the JSON file', async () => {
    const file = settingsPath(dir());
    const s = mergeSettings(DEFAULT_AUTOFOCUS_SETTINGS, { toleranceUm: 0.4, model: 'ldse-net-40x', stepLimit: 5 });
    await saveSettings(file, s);
    expect(JSON.parse(readFileSync(file, 'utf8')).toleranceUm).toBe(0.4);
    expect((await loadSettings(file)).settings).toEqual(s);
  });

  it('refuses bad values with one clear message and leaves the settings as they were', () => {
    const bad = [
      { toleranceUm: -1 },
      { maxMoveUm: 0 },
      { stepLimit: 2.5 },
      { confidenceThreshold: 1.5 },
      { fallback: 'yes' },
      { nonsense: 1 },
    ];
    for (const patch of bad) {
      expect(() => mergeSettings(DEFAULT_AUTOFOCUS_SETTINGS, patch)).toThrow(AutofocusError);
    }
    try {
      mergeSettings(DEFAULT_AUTOFOCUS_SETTINGS, { toleranceUm: -1 });
    } catch (err) {
      expect((err as AutofocusError).code).toBe('bad-settings');
      expect((err as Error).message).toMatch(/toleranceUm/);
    }
  });

  it('a damaged or invalid file falls back to the defaults and says why', async () => {
    const d = dir();
    const file = settingsPath(d);
    writeFileSync(file, '{ not json');
    const r1 = await loadSettings(file);
    expect(r1.settings).toEqual(DEFAULT_AUTOFOCUS_SETTINGS);
    expect(r1.problem).toMatch(/not valid JSON/);
    writeFileSync(file, JSON.stringify({ ...DEFAULT_AUTOFOCUS_SETTINGS, maxMoveUm: -3 }));
    const r2 = await loadSettings(file);
    expect(r2.settings).toEqual(DEFAULT_AUTOFOCUS_SETTINGS);
    expect(r2.problem).toMatch(/maxMoveUm/);
  });

  it('the schema fills defaults for a partial file', () => {
    expect(AutofocusSettings.parse({ toleranceUm: 0.5 })).toEqual({ ...DEFAULT_AUTOFOCUS_SETTINGS, toleranceUm: 0.5 });
  });
});
