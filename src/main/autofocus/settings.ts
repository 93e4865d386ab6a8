/**
 * Autofocus settings persisted as JSON in the app's data folder (autofocus-settings.json), validated by zod on the way
 * in and out. A missing file means the defaults; an unreadable or invalid file is reported and replaced by the
 * defaults in memory (never a crash), and is only overwritten when the operator saves new settings.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import {
  AutofocusSettings,
  AutofocusSettingsPatch,
  DEFAULT_AUTOFOCUS_SETTINGS,
  type AutofocusSettings as Settings,
} from '../../shared/autofocus';
import { AutofocusError } from './errors';

export const SETTINGS_FILE = 'autofocus-settings.json';

export function settingsPath(dataDir: string): string {
  return join(dataDir, SETTINGS_FILE);
}

export interface LoadedSettings {
  settings: Settings;
  /** Why the file was not used, when it was not. */
  problem: string | null;
}

function describe(err: z.ZodError): string {
  return err.issues
    .slice(0, 4)
    .map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`)
    .join('; ');
}

export async function loadSettings(file: string): Promise<LoadedSettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { settings: { ...DEFAULT_AUTOFOCUS_SETTINGS }, problem: null };
    return { settings: { ...DEFAULT_AUTOFOCUS_SETTINGS }, problem: `cannot read ${file}: ${(err as Error).message}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return {
      settings: { ...DEFAULT_AUTOFOCUS_SETTINGS },
      problem: `${file} is not valid JSON (${(err as Error).message}); using the defaults`,
    };
  }
  const parsed = AutofocusSettings.safeParse(raw);
  if (!parsed.success) {
    return {
      settings: { ...DEFAULT_AUTOFOCUS_SETTINGS },
      problem: `${file} is not valid (${describe(parsed.error)}); using the defaults`,
    };
  }
  return { settings: parsed.data, problem: null };
}

/** Checks a partial update against the schema and merges it (throws AutofocusError 'bad-settings'). */
export function mergeSettings(current: Settings, patch: unknown): Settings {
  const p = AutofocusSettingsPatch.safeParse(patch ?? {});
  if (!p.success) throw new AutofocusError('bad-settings', `invalid autofocus settings: ${describe(p.error)}`);
  const merged = AutofocusSettings.safeParse({ ...current, ...p.data });
  if (!merged.success)
    throw new AutofocusError('bad-settings', `invalid autofocus settings: ${describe(merged.error)}`);
  return merged.data;
}

/** Writes the settings atomically (temp file + rename). */
export async function saveSettings(file: string, settings: Settings): Promise<void> {
  const valid = AutofocusSettings.parse(settings);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(valid, null, 2)}\n`, 'utf8');
  await rename(tmp, file);
}
