/**
 * Hardware profiles in the app: the built-in virtual microscopes and the saved profiles (<data>/hardware/profiles),
 * connecting to one (its devices replace the ones in use only once they are all open), disconnecting, and
 * remembering the last profile so the next start reconnects to it.
 */
import { join } from 'node:path';
import { ProfileError, ProfileStore } from '../../hardware/profiles';
import type { LinkOpener } from '../../hardware/serial/drivers/base';
import { HardwareProfile, profileId, type HardwareProfileInput } from '../../shared/hardware-profile';
import { AppError } from '../../shared/errors';
import type { SimOptions } from '../../shared/optics';
import type { ProfileEntry, ProfileList } from '../../shared/procedures/profiles';
import type { HardwareConnection } from '../../shared/schemas/hardware';
import type { TaskManager } from '../tasks/task-manager';
import { findBuiltin, BUILTIN_PROFILES } from './builtin-profiles';
import type { HardwareService } from './hardware-service';
import { HardwareSettingsFile } from './hardware-settings';
import { openMicroscope } from './profile-devices';

export interface HardwareManagerOptions {
  /** <data folder>/hardware: profiles/ and settings.json. */
  dir: string;
  hardware: HardwareService;
  tasks: TaskManager;
  /** Base options of the virtual microscope. */
  sim?: SimOptions;
  /** The profile of the devices in use at start, if they came from one. */
  current?: CurrentProfile | null;
  openLink?: LinkOpener;
}

export interface CurrentProfile {
  /** null for a profile given in full and never saved. */
  id: string | null;
  builtin: boolean;
  profile: HardwareProfile;
}

export type ConnectRef = { id: string } | { profile: HardwareProfileInput };

export function profilesDir(hardwareDir: string): string {
  return join(hardwareDir, 'profiles');
}

export class HardwareManager {
  readonly store: ProfileStore;
  readonly settings: HardwareSettingsFile;
  private current: CurrentProfile | null;

  constructor(private readonly o: HardwareManagerOptions) {
    this.store = new ProfileStore(profilesDir(o.dir));
    this.settings = new HardwareSettingsFile(o.dir);
    this.current = o.current ?? null;
  }

  /** The profile whose devices are in use (also while they are disconnected or lost). */
  currentProfile(): CurrentProfile | null {
    return this.current ? { ...this.current } : null;
  }

  async list(): Promise<ProfileList> {
    const stored = await storeCall(() => this.store.list());
    return {
      profiles: [
        ...BUILTIN_PROFILES.map((p) => ({ ...p })),
        ...stored.profiles.map((p) => ({ id: p.id, builtin: false, profile: p.profile })),
      ],
      invalid: stored.invalid,
      currentId: this.current?.id ?? null,
    };
  }

  async get(id: string): Promise<ProfileEntry> {
    const builtin = findBuiltin(id);
    if (builtin) return { ...builtin };
    const profile = await storeCall(() => this.store.get(id));
    return { id, builtin: false, profile };
  }

  /** Saves a profile under the id of its name; `replaceId` renames (the old file goes once the new one is written). */
  async save(input: HardwareProfileInput, replaceId?: string): Promise<ProfileEntry> {
    const id = profileId(input.name);
    if (findBuiltin(id)) {
      throw new AppError('CONFLICT', `"${input.name}" is the name of a built-in profile: choose another name`);
    }
    if (replaceId && findBuiltin(replaceId)) {
      throw new AppError('CONFLICT', 'A built-in profile cannot be renamed or changed: save it under another name');
    }
    const saved = await storeCall(() => this.store.save(input));
    if (replaceId && replaceId !== saved.id) await storeCall(() => this.store.delete(replaceId));
    if (this.current && this.current.id !== null && (this.current.id === saved.id || this.current.id === replaceId)) {
      // The devices in use keep their settings until reconnected; the profile shown is the saved one.
      this.current = { id: saved.id, builtin: false, profile: saved.profile };
    }
    return { id: saved.id, builtin: false, profile: saved.profile };
  }

  async delete(id: string): Promise<{ deleted: boolean }> {
    if (findBuiltin(id)) throw new AppError('CONFLICT', 'Built-in profiles cannot be deleted');
    return { deleted: await storeCall(() => this.store.delete(id)) };
  }

  /**
   * Opens the profile's devices and makes them the ones in use. Runs as a task holding the stage and the camera, so
   * it never pulls the devices from under an acquisition or a calibration. On failure the devices in use stay (unless
   * they hold the same serial port, which must be closed to be reopened) and the error says what failed.
   */
  async connect(ref: ConnectRef): Promise<HardwareConnection> {
    const target = await this.resolve(ref);
    let failure: unknown = null;
    const task = this.o.tasks.start(
      { kind: 'hardware.connect', title: `Connect ${target.profile.name}`, uses: ['stage', 'camera'] },
      async () => {
        try {
          return await this.open(target);
        } catch (err) {
          failure = err;
          throw err;
        }
      },
    );
    const end = await this.o.tasks.wait(task.id);
    if (end.state !== 'done') {
      this.o.hardware.announce();
      if (failure) throw failure;
      throw new AppError('CANCELLED', `Connecting ${target.profile.name} was cancelled`);
    }
    return this.o.hardware.connection();
  }

  async disconnect(): Promise<HardwareConnection> {
    const task = this.o.tasks.start(
      { kind: 'hardware.disconnect', title: 'Disconnect the hardware', uses: ['stage', 'camera'] },
      () => this.o.hardware.disconnect(),
    );
    await this.o.tasks.wait(task.id);
    return this.o.hardware.connection();
  }

  private async open(target: CurrentProfile): Promise<void> {
    const hw = this.o.hardware;
    hw.connecting(target.profile.name, { profileId: target.id, builtin: target.builtin });
    const inUse = hw.devices.ports ?? [];
    const port = target.profile.stage.driver !== 'sim' ? target.profile.stage.port : undefined;
    // A serial port opens once: reconnecting to the port in use means closing it first.
    if (port && inUse.includes(port)) await hw.disconnect();
    const next = await openMicroscope(target.profile, { sim: this.o.sim, openLink: this.o.openLink });
    await hw.replace(next, { profileId: target.id, builtin: target.builtin });
    this.current = target;
    await this.settings.rememberProfile(target.id, target.profile);
  }

  private async resolve(ref: ConnectRef): Promise<CurrentProfile> {
    if ('id' in ref) {
      const entry = await this.get(ref.id);
      return { id: entry.id, builtin: entry.builtin, profile: entry.profile };
    }
    const parsed = HardwareProfile.safeParse(ref.profile);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(
        'INVALID_INPUT',
        `Invalid hardware profile: ${issue.path.join('.') || 'profile'}: ${issue.message}`,
      );
    }
    return { id: null, builtin: false, profile: parsed.data };
  }
}

/** Profile store errors as API errors: a bad profile is INVALID_INPUT, a missing one NOT_FOUND. */
async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProfileError) {
      const code = err.code === 'invalid' ? 'INVALID_INPUT' : err.code === 'not-found' ? 'NOT_FOUND' : 'FAILED';
      throw new AppError(code, err.message);
    }
    throw err;
  }
}
