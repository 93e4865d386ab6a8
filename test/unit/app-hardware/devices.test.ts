/** Small parts of the app's hardware layer: the device watcher, the fixed XY stage, built-in profiles, settings. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardwareError } from '../../../src/hardware/types';
import { HardwareProfile, profileId } from '../../../src/shared/hardware-profile';
import { BUILTIN_PROFILES, builtinFor, findBuiltin } from '../../../src/main/hardware/builtin-profiles';
import { FixedXYStage } from '../../../src/main/hardware/fixed-xy-stage';
import { HardwareSettingsFile } from '../../../src/main/hardware/hardware-settings';
import { watchDevice } from '../../../src/main/hardware/watch-device';

class Device {
  private z = 1;
  calls = 0;
  readonly name = 'dev';
  async position() {
    this.calls++;
    return this.z;
  }
  async unplugged(): Promise<number> {
    throw new HardwareError('disconnected', 'cable pulled');
  }
  async refuses(): Promise<number> {
    throw new HardwareError('limit', 'outside the limits');
  }
  syncThrow(): number {
    throw new HardwareError('disconnected', 'gone now');
  }
  settle() {
    return this.z * 10;
  }
}

describe('watchDevice', () => {
  it('passes every call through and reports only dropped links, sync or async, once per call', async () => {
    const lost: string[] = [];
    const d = new Device();
    const w = watchDevice(d, (e) => lost.push(e.message));
    expect(w.name).toBe('dev');
    expect(await w.position()).toBe(1);
    expect(w.settle()).toBe(10);
    expect(d.calls).toBe(1);
    expect(w).toBeInstanceOf(Device);
    await expect(w.refuses()).rejects.toThrow('outside the limits');
    expect(lost).toEqual([]);
    await expect(w.unplugged()).rejects.toThrow('cable pulled');
    expect(() => w.syncThrow()).toThrow('gone now');
    expect(lost).toEqual(['cable pulled', 'gone now']);
  });
});

describe('FixedXYStage', () => {
  it('is a single field: (0, 0), moves only to where it is, with a clear refusal', async () => {
    const xy = new FixedXYStage();
    expect(await xy.position()).toEqual({ xUm: 0, yUm: 0 });
    expect(await xy.moveTo({ xUm: 0, yUm: 0 })).toEqual({ xUm: 0, yUm: 0 });
    const err = await xy.moveTo({ xUm: 1000, yUm: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HardwareError);
    expect((err as HardwareError).kind).toBe('config');
    expect((err as HardwareError).message).toMatch(/no XY stage/);
    await expect(xy.moveBy({ xUm: 0, yUm: 5 })).rejects.toThrow(/no XY stage/);
  });
});

describe('built-in profiles', () => {
  it('are the virtual microscope at 20x and 40x, valid, with ids from their names', () => {
    expect(BUILTIN_PROFILES.map((p) => [p.id, p.profile.name, p.profile.opticalSetupId])).toEqual([
      ['virtual-microscope-20x', 'Virtual microscope (20x)', '20x'],
      ['virtual-microscope-40x', 'Virtual microscope (40x)', '40x'],
    ]);
    for (const p of BUILTIN_PROFILES) {
      expect(HardwareProfile.parse(p.profile)).toEqual(p.profile);
      expect(profileId(p.profile.name)).toBe(p.id);
      expect(p.builtin).toBe(true);
    }
    expect(builtinFor('40x').id).toBe('virtual-microscope-40x');
    expect(builtinFor('60x-oil').id).toBe('virtual-microscope-20x');
    expect(findBuiltin('bench')).toBeUndefined();
  });
});

describe('HardwareSettingsFile', () => {
  it('remembers the last profile, and starts from defaults when the file is missing or broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hw-settings-'));
    const settings = new HardwareSettingsFile(join(dir, 'hardware'));
    expect(await settings.read()).toEqual({ lastProfile: null });
    const profile = BUILTIN_PROFILES[1].profile;
    await settings.rememberProfile('virtual-microscope-40x', profile);
    expect(await settings.read()).toEqual({ lastProfile: { id: 'virtual-microscope-40x', profile } });
    writeFileSync(settings.path, '{ not json');
    expect(await settings.read()).toEqual({ lastProfile: null });
    writeFileSync(settings.path, JSON.stringify({ lastProfile: { id: 3, profile: {} } }));
    expect(await settings.read()).toEqual({ lastProfile: null });
  });
});
