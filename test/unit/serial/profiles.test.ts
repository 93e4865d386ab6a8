import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardwareProfile, profileId, type HardwareProfileInput } from '../../../src/shared/hardware-profile';
import { ProfileError, ProfileStore } from '../../../src/hardware/profiles';
import { createStagesFromProfile } from '../../../src/hardware/stage/from-profile';
import { createEmulator, memoryWiring } from '../../../src/hardware/emulators';

const bench: HardwareProfileInput = {
  name: 'Bench GRBL + UVC',
  camera: { kind: 'ffmpeg', input: 'v4l2', device: '/dev/video0', width: 1280, height: 720, pixelSizeUm: 0.5 },
  stage: { driver: 'grbl', port: '/dev/ttyUSB0', zDirection: -1, limits: { minUm: -200, maxUm: 300 }, backlashUm: 2.5 },
  xyStage: { driver: 'same-controller', limits: { x: { minUm: -1e4, maxUm: 1e4 }, y: { minUm: -1e4, maxUm: 1e4 } } },
  opticalSetupId: '20x',
};

describe('HardwareProfile schema', () => {
  it('fills defaults and accepts the three camera kinds', () => {
    const p = HardwareProfile.parse(bench);
    expect(p.camera.kind === 'ffmpeg' && p.camera.pixelFormat).toBe('rgb24');
    expect(p.stage.settleMs).toBe(0);
    expect(p.xyStage?.direction).toEqual({ x: 1, y: 1 });
    expect(HardwareProfile.safeParse({ ...bench, camera: { kind: 'folder', folder: '/data/out' } }).success).toBe(true);
    expect(HardwareProfile.safeParse({ ...bench, camera: { kind: 'sim' } }).success).toBe(true);
  });

  it('rejects a serial stage without a port, inverted limits and a zero steps per um', () => {
    const noPort = HardwareProfile.safeParse({ ...bench, stage: { driver: 'asi', limits: { minUm: 0, maxUm: 1 } } });
    expect(noPort.success).toBe(false);
    expect(noPort.error?.issues[0].path).toEqual(['stage', 'port']);
    expect(
      HardwareProfile.safeParse({ ...bench, stage: { ...bench.stage, limits: { minUm: 5, maxUm: 1 } } }).success,
    ).toBe(false);
    expect(HardwareProfile.safeParse({ ...bench, stage: { ...bench.stage, stepsPerUm: 0 } }).success).toBe(false);
    expect(HardwareProfile.safeParse({ ...bench, stage: { ...bench.stage, zDirection: 2 } }).success).toBe(false);
  });

  it('makes file-safe ids', () => {
    expect(profileId('Bench GRBL + UVC')).toBe('bench-grbl-uvc');
    expect(profileId('../../etc/passwd')).toBe('etcpasswd');
    expect(profileId('***')).toBe('profile');
  });
});

describe('ProfileStore', () => {
  it('saves atomically, lists, gets and deletes', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'profiles-')), 'nested');
    const store = new ProfileStore(dir);
    expect(await store.list()).toEqual({ profiles: [], invalid: [] });
    const saved = await store.save(bench);
    expect(saved.id).toBe('bench-grbl-uvc');
    expect(readdirSync(dir)).toEqual(['bench-grbl-uvc.json']);
    const got = await store.get('bench-grbl-uvc');
    expect(got.stage.zDirection).toBe(-1);
    expect(got.updatedAt).toMatch(/^\d{4}-/);
    writeFileSync(join(dir, 'broken.json'), '{ not json');
    const listing = await store.list();
    expect(listing.profiles.map((p) => p.id)).toEqual(['bench-grbl-uvc']);
    expect(listing.invalid[0].file).toBe('broken.json');
    expect(await store.delete('bench-grbl-uvc')).toBe(true);
    expect(await store.delete('bench-grbl-uvc')).toBe(false);
    await expect(store.get('bench-grbl-uvc')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('refuses invalid profiles and path tricks with a clear error', async () => {
    const store = new ProfileStore(mkdtempSync(join(tmpdir(), 'profiles-')));
    const err = await store
      .save({ ...bench, stage: { driver: 'ludl', limits: { minUm: 0, maxUm: 1 } } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ProfileError);
    expect((err as ProfileError).code).toBe('invalid');
    expect((err as ProfileError).message).toMatch(/stage\.port: a serial stage needs a port/);
    await expect(store.get('../secret')).rejects.toMatchObject({ code: 'invalid' });
  });
});

describe('createStagesFromProfile', () => {
  it('puts Z and XY on one controller connection with the profile mapping', async () => {
    const emulator = createEmulator('asi', { speedUmPerS: Infinity });
    const wiring = memoryWiring(emulator);
    const p = HardwareProfile.parse({
      ...bench,
      stage: { driver: 'asi', port: '/dev/ttyUSB1', zDirection: -1, limits: { minUm: -50, maxUm: 50 } },
    });
    const { z, xy } = createStagesFromProfile(p.stage, p.xyStage, wiring.openLink);
    await z.connect();
    await xy!.connect();
    expect(wiring.all()).toHaveLength(1);
    await z.moveTo(12);
    await xy!.moveTo({ xUm: 100, yUm: -20 });
    expect(emulator.positionUm('z')).toBeCloseTo(-12, 6);
    expect(emulator.positionUm('x')).toBeCloseTo(100, 6);
    expect(emulator.positionUm('y')).toBeCloseTo(-20, 6);
    await expect(z.moveTo(60)).rejects.toMatchObject({ kind: 'limit' });
    await z.disconnect();
  });
});
