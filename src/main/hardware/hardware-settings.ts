/**
 * What the app remembers about hardware between runs: the last profile it connected to (its id and the profile
 * itself, so an unsaved or since-deleted profile can still be reopened). One small JSON file, written atomically.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { HardwareProfile } from '../../shared/hardware-profile';
import { logger } from '../log';

const Settings = z.object({
  lastProfile: z.object({ id: z.string().nullable(), profile: HardwareProfile }).nullable().default(null),
});
export type HardwareSettings = z.infer<typeof Settings>;

export class HardwareSettingsFile {
  readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, 'settings.json');
  }

  /** The settings; defaults when the file is missing or unreadable (a broken file must not stop the app). */
  async read(): Promise<HardwareSettings> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return { lastProfile: null };
    }
    try {
      return Settings.parse(JSON.parse(text));
    } catch (err) {
      logger.warn({ err, path: this.path }, 'hardware settings unreadable; starting from defaults');
      return { lastProfile: null };
    }
  }

  async rememberProfile(id: string | null, profile: HardwareProfile): Promise<void> {
    const settings = await this.read();
    settings.lastProfile = { id, profile };
    await this.write(settings);
  }

  private async write(settings: HardwareSettings): Promise<void> {
    await mkdir(join(this.path, '..'), { recursive: true });
    const tmp = `${this.path}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(settings, null, 2) + '\n', 'utf8');
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      logger.warn({ err, path: this.path }, 'could not remember the hardware profile');
    }
  }
}
