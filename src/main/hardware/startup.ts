/**
 * The devices the app starts with: the last profile it was connected to, reopened; the virtual microscope when
 * there is none, when restoring is off (CLI commands), or when reopening fails - then with a notice saying why.
 */
import { isSetupPresetId, type SimOptions } from '../../shared/optics';
import { logger } from '../log';
import { builtinFor, findBuiltin } from './builtin-profiles';
import { profilesDir, type CurrentProfile } from './hardware-manager';
import type { LinkInfo } from './hardware-service';
import { HardwareSettingsFile } from './hardware-settings';
import type { Microscope } from './microscope';
import { openMicroscope } from './profile-devices';
import { createVirtualMicroscopeDevices } from './virtual-microscope';
import { ProfileStore } from '../../hardware/profiles';

export interface StartupOptions {
  /** <data folder>/hardware */
  dir: string;
  sim?: SimOptions;
  /** Reopen the last profile (the desktop and browser front doors); CLI commands start on the virtual microscope. */
  restore: boolean;
}

export interface StartupDevices {
  microscope: Microscope;
  link: LinkInfo;
  current: CurrentProfile | null;
}

export async function openStartupDevices(o: StartupOptions): Promise<StartupDevices> {
  let notice: string | null = null;
  if (o.restore) {
    const last = await lastProfile(o.dir);
    if (last) {
      try {
        const microscope = await openMicroscope(last.profile, { sim: o.sim });
        return { microscope, link: { profileId: last.id, builtin: last.builtin }, current: last };
      } catch (err) {
        notice = `Could not reconnect to "${last.profile.name}" (${(err as Error).message}); using the virtual microscope instead.`;
        logger.warn({ err }, notice);
      }
    }
  }
  const fallback = await virtualDefault(o.sim);
  return { ...fallback, link: { ...fallback.link, message: notice } };
}

async function virtualDefault(sim: SimOptions = {}): Promise<StartupDevices> {
  const microscope = await createVirtualMicroscopeDevices(sim);
  const setup = sim.setup ?? '20x';
  if (!isSetupPresetId(setup)) return { microscope, current: null, link: { profileId: null, builtin: false } };
  const builtin = builtinFor(setup);
  return {
    microscope: { ...microscope, profileName: builtin.profile.name },
    current: { id: builtin.id, builtin: true, profile: builtin.profile },
    link: { profileId: builtin.id, builtin: true },
  };
}

/** The remembered profile in its latest saved version (a built-in or a stored one), else as it was remembered. */
async function lastProfile(dir: string): Promise<CurrentProfile | null> {
  const last = (await new HardwareSettingsFile(dir).read()).lastProfile;
  if (!last) return null;
  if (last.id) {
    const builtin = findBuiltin(last.id);
    if (builtin) return { id: builtin.id, builtin: true, profile: builtin.profile };
    try {
      return { id: last.id, builtin: false, profile: await new ProfileStore(profilesDir(dir)).get(last.id) };
    } catch {
      // Deleted or broken since: reopen what was remembered.
    }
  }
  return { id: null, builtin: false, profile: last.profile };
}
