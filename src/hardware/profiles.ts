/**
 * Hardware profiles on disk (one JSON file per profile, written atomically) and auto-detection of
 * what is plugged in: serial controllers that answer a probe, cameras ffmpeg can list.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HardwareProfile, profileId, type HardwareProfileInput } from '../shared/hardware-profile';
import { findFfmpeg } from './camera/ffmpeg/locate';
import { listCameras, type CameraDevice } from './camera/ffmpeg/devices';
import { listSerialPorts, type ListPortsOptions, type PortListing } from './serial/discovery';
import { probePort, type ProbeOptions, type ProbeResult } from './serial/probe';

export type ProfileErrorCode = 'invalid' | 'not-found' | 'io';

export class ProfileError extends Error {
  constructor(
    readonly code: ProfileErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProfileError';
  }
}

export interface StoredProfile {
  id: string;
  profile: HardwareProfile;
}

export interface ProfileListing {
  profiles: StoredProfile[];
  /** Files that are not valid profiles, with the reason: shown, never fatal. */
  invalid: Array<{ file: string; error: string }>;
}

export class ProfileStore {
  constructor(readonly dir: string) {}

  async list(): Promise<ProfileListing> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: [], invalid: [] };
      throw new ProfileError('io', `Cannot read the profile folder ${this.dir}: ${(err as Error).message}`);
    }
    const out: ProfileListing = { profiles: [], invalid: [] };
    for (const file of names.sort()) {
      try {
        out.profiles.push({ id: file.slice(0, -5), profile: await this.readFile(join(this.dir, file)) });
      } catch (err) {
        out.invalid.push({ file, error: (err as Error).message });
      }
    }
    return out;
  }

  async get(id: string): Promise<HardwareProfile> {
    const path = this.pathOf(id);
    try {
      return await this.readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new ProfileError('not-found', `No hardware profile "${id}"`);
      throw err;
    }
  }

  /** Validates and writes the profile (temp file + rename), returning its id. */
  async save(input: HardwareProfileInput): Promise<StoredProfile> {
    const parsed = HardwareProfile.safeParse({ ...input, updatedAt: new Date().toISOString() });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ProfileError(
        'invalid',
        `Invalid hardware profile: ${issue.path.join('.') || 'profile'}: ${issue.message}`,
      );
    }
    const id = profileId(parsed.data.name);
    await mkdir(this.dir, { recursive: true });
    const path = this.pathOf(id);
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(parsed.data, null, 2) + '\n', 'utf8');
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw new ProfileError('io', `Cannot save the profile to ${path}: ${(err as Error).message}`);
    }
    return { id, profile: parsed.data };
  }

  async delete(id: string): Promise<boolean> {
    try {
      await rm(this.pathOf(id));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new ProfileError('io', `Cannot delete profile "${id}": ${(err as Error).message}`);
    }
  }

  private pathOf(id: string): string {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new ProfileError('invalid', `"${id}" is not a profile id`);
    return join(this.dir, `${id}.json`);
  }

  private async readFile(path: string): Promise<HardwareProfile> {
    const text = await readFile(path, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ProfileError('invalid', `${path} is not valid JSON`);
    }
    const parsed = HardwareProfile.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ProfileError('invalid', `${path}: ${issue.path.join('.')}: ${issue.message}`);
    }
    return parsed.data;
  }
}

export interface AutodetectOptions {
  ports?: ListPortsOptions;
  probe?: ProbeOptions;
  /** Probe these paths as well as the listed ports (pseudo-terminals of emulators). */
  extraPorts?: string[];
  cameras?: boolean;
  ffmpegPath?: string;
}

export interface AutodetectResult {
  ports: PortListing;
  /** One entry per probed port; `found` is null where nothing answered. */
  stages: ProbeResult[];
  cameras: CameraDevice[];
  notes: string[];
}

/** What the probe finds: controllers answering on serial ports and cameras ffmpeg can list. */
export async function autodetect(options: AutodetectOptions = {}): Promise<AutodetectResult> {
  const notes: string[] = [];
  const ports = await listSerialPorts(options.ports);
  if (ports.note) notes.push(ports.note);
  const paths = [...new Set([...ports.ports.map((p) => p.path), ...(options.extraPorts ?? [])])];
  const stages: ProbeResult[] = [];
  for (const path of paths) stages.push(await probePort(path, options.probe));
  let cameras: CameraDevice[] = [];
  if (options.cameras !== false) {
    try {
      cameras = await listCameras({ ffmpegPath: findFfmpeg({ configuredPath: options.ffmpegPath }) });
    } catch (err) {
      notes.push(`Cameras were not listed: ${(err as Error).message}`);
    }
  }
  return { ports, stages, cameras, notes };
}
