/**
 * Hardware profiles through the real dispatcher: list/save/delete, connect and disconnect, malformed profiles
 * (INVALID_INPUT, no side effect), a missing port (one HARDWARE error, the previous devices stay usable), a stage
 * whose link drops (lost state + notice, reconnect), and the last profile reopened at the next start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulatorOnPty, type PtyEmulator } from '../../../src/hardware/emulators';
import type { HardwareProfileInput } from '../../../src/shared/hardware-profile';
import { apiError, startBackend, tempHardwareDir, type TestBackend } from './services';

let backends: TestBackend[] = [];
let pty: PtyEmulator | null = null;
afterEach(async () => {
  for (const b of backends.splice(0)) await b.close();
  await pty?.cleanup();
  pty = null;
});

async function backend(options: Parameters<typeof startBackend>[0] = {}) {
  const b = await startBackend(options, 'profiles');
  backends.push(b);
  return b;
}

function serialProfile(
  name: string,
  port: string,
  extra: Partial<HardwareProfileInput['stage']> = {},
): HardwareProfileInput {
  return {
    name,
    camera: { kind: 'sim', width: 160, height: 120 },
    stage: { driver: 'grbl', port, limits: { minUm: -200, maxUm: 200 }, stepsPerUm: 0.001, timeoutMs: 800, ...extra },
    opticalSetupId: '20x',
  };
}

const connectionEvents = (b: TestBackend) =>
  b.events
    .filter((e) => e.event === 'hardware.connection')
    .map((e) => e.data as { state: string; profileId: string | null });

describe('hardware profiles in the app', () => {
  it('lists the built-in virtual microscopes; saves, renames and deletes a profile; built-ins are read-only', async () => {
    const b = await backend();
    const list = await b.api.invoke('profiles.list');
    expect(list.profiles.map((p) => [p.id, p.builtin])).toEqual([
      ['virtual-microscope-20x', true],
      ['virtual-microscope-40x', true],
    ]);
    expect(list.currentId).toBe('virtual-microscope-20x');

    const saved = await b.api.invoke('profiles.save', { profile: serialProfile('Bench GRBL', '/dev/ttyUSB0') });
    expect(saved).toMatchObject({ id: 'bench-grbl', builtin: false });
    expect(saved.profile.stage).toMatchObject({ zDirection: 1, backlashUm: 0, settleMs: 0 });
    expect(existsSync(join(b.hardwareDir, 'profiles', 'bench-grbl.json'))).toBe(true);
    expect((await b.api.invoke('profiles.get', { id: 'bench-grbl' })).profile.stage.port).toBe('/dev/ttyUSB0');

    const renamed = await b.api.invoke('profiles.save', {
      profile: serialProfile('Bench GRBL v2', '/dev/ttyUSB1'),
      replaceId: 'bench-grbl',
    });
    expect(renamed.id).toBe('bench-grbl-v2');
    expect((await b.api.invoke('profiles.list')).profiles.map((p) => p.id)).toEqual([
      'virtual-microscope-20x',
      'virtual-microscope-40x',
      'bench-grbl-v2',
    ]);

    expect((await apiError(b.api.invoke('profiles.delete', { id: 'virtual-microscope-40x' }))).code).toBe('CONFLICT');
    const overwrite = await apiError(
      b.api.invoke('profiles.save', { profile: { ...serialProfile('Virtual microscope (40x)', '/dev/x') } }),
    );
    expect(overwrite.code).toBe('CONFLICT');
    expect(overwrite.message).toMatch(/built-in/);
    expect(await b.api.invoke('profiles.delete', { id: 'bench-grbl-v2' })).toEqual({ deleted: true });
    expect(await b.api.invoke('profiles.delete', { id: 'bench-grbl-v2' })).toEqual({ deleted: false });
    expect((await apiError(b.api.invoke('profiles.get', { id: 'bench-grbl-v2' }))).code).toBe('NOT_FOUND');
  });

  it('connects to the 40x virtual profile: the status and the events follow, and the choice is remembered', async () => {
    const b = await backend();
    const connection = await b.api.invoke('hardware.connect', { id: 'virtual-microscope-40x' });
    expect(connection).toMatchObject({ state: 'connected', profileId: 'virtual-microscope-40x', builtin: true });
    const status = await b.api.invoke('hardware.status');
    expect(status).toMatchObject({ connected: true, profile: 'Virtual microscope (40x)', setupId: '40x' });
    expect(status.camera.pixelSizeUm).toBeCloseTo(2.2 / 40, 6);
    expect(connectionEvents(b).map((e) => `${e.state}:${e.profileId}`)).toEqual([
      'connecting:virtual-microscope-40x',
      'connected:virtual-microscope-40x',
    ]);
    const settings = JSON.parse(readFileSync(join(b.hardwareDir, 'settings.json'), 'utf8'));
    expect(settings.lastProfile.id).toBe('virtual-microscope-40x');
    // The new devices work.
    const z0 = (await b.api.invoke('stage.position')).zUm;
    expect((await b.api.invoke('stage.jog', { axis: 'z', deltaUm: 5 })).zUm).toBeCloseTo(z0 + 5, 9);
    expect((await b.api.invoke('camera.preview', { maxSize: 128 })).image).toMatch(/^data:image\/jpeg/);
  });

  it('rejects malformed profiles with INVALID_INPUT and changes nothing', async () => {
    const b = await backend();
    const devicesBefore = b.services.hardware.devices;
    const connectionBefore = await b.api.invoke('hardware.connection');
    const tasksBefore = (await b.api.invoke('tasks.list')).length;
    const good = serialProfile('Bad one', '/dev/ttyUSB0');
    const malformed: unknown[] = [
      { profile: { ...good, name: '' } },
      { profile: { ...good, stage: { ...good.stage, limits: { minUm: 10, maxUm: -10 } } } },
      { profile: { ...good, stage: { driver: 'grbl', limits: { minUm: -1, maxUm: 1 } } } },
      { profile: { ...good, stage: { ...good.stage, driver: 'marlin' } } },
      { profile: { ...good, stage: { ...good.stage, zDirection: 2 } } },
      { profile: { ...good, camera: { kind: 'ffmpeg', input: 'v4l2', device: '/dev/video0' } } },
      { id: 'virtual-microscope-40x', profile: good },
      { id: 'Not An Id' },
      {},
      { profile: good, extra: true },
    ];
    for (const payload of malformed) {
      const response = await b.services.dispatch('hardware.connect', payload);
      expect(response.ok, JSON.stringify(payload)).toBe(false);
      if (!response.ok) expect(response.error.code, JSON.stringify(payload)).toBe('INVALID_INPUT');
    }
    const badSave = await b.services.dispatch('profiles.save', { profile: { ...good, opticalSetupId: '' } });
    expect(!badSave.ok && badSave.error.code).toBe('INVALID_INPUT');
    // No side effect: same devices, same link, no task, no event, nothing written.
    expect(b.services.hardware.devices).toBe(devicesBefore);
    expect(await b.api.invoke('hardware.connection')).toEqual(connectionBefore);
    expect((await b.api.invoke('tasks.list')).length).toBe(tasksBefore);
    expect(connectionEvents(b)).toEqual([]);
    expect(existsSync(join(b.hardwareDir, 'settings.json'))).toBe(false);
    expect(existsSync(join(b.hardwareDir, 'profiles'))).toBe(false);
  });

  it('a profile pointing at a missing port gives one clear HARDWARE error and the previous devices stay usable', async () => {
    const b = await backend();
    await b.api.invoke('hardware.connect', { id: 'virtual-microscope-40x' });
    const before = b.services.hardware.devices;
    const missing = serialProfile('Unplugged GRBL', '/dev/focus-station-no-such-port');
    for (const attempt of [
      () => b.api.invoke('hardware.connect', { profile: missing }),
      async () => {
        const { id } = await b.api.invoke('profiles.save', { profile: missing });
        return b.api.invoke('hardware.connect', { id });
      },
    ]) {
      const err = await apiError(attempt());
      expect(err.code).toBe('HARDWARE');
      expect(err.message).toBe(
        'Cannot connect "Unplugged GRBL": Cannot open serial port /dev/focus-station-no-such-port: Error: No such file or directory, cannot open /dev/focus-station-no-such-port',
      );
      expect(err.details?.kind).toBe('disconnected');
    }
    // Still the 40x virtual microscope, still connected, still moving and imaging.
    expect(b.services.hardware.devices).toBe(before);
    expect(await b.api.invoke('hardware.connection')).toMatchObject({
      state: 'connected',
      profileId: 'virtual-microscope-40x',
    });
    const z0 = (await b.api.invoke('stage.position')).zUm;
    expect((await b.api.invoke('stage.jog', { axis: 'z', deltaUm: -2 })).zUm).toBeCloseTo(z0 - 2, 9);
    expect((await b.api.invoke('camera.preview', { maxSize: 128 })).width).toBeGreaterThan(0);
    // The UI left "connecting": the last event repeats the state in use.
    expect(connectionEvents(b).at(-1)).toMatchObject({ state: 'connected', profileId: 'virtual-microscope-40x' });
    const settings = JSON.parse(readFileSync(join(b.hardwareDir, 'settings.json'), 'utf8'));
    expect(settings.lastProfile.id).toBe('virtual-microscope-40x');
  });

  it('disconnect closes the devices: the live view says "not connected", moves are refused, STOP still answers', async () => {
    const b = await backend();
    const sim = b.services.hardware.devices.sim!;
    expect(await b.api.invoke('hardware.disconnect')).toMatchObject({ state: 'disconnected' });
    expect(sim.camera.isOpen()).toBe(false);
    expect(sim.zStage.isConnected()).toBe(false);
    const preview = await apiError(b.api.invoke('camera.preview', {}));
    expect(preview.code).toBe('CONFLICT');
    expect(preview.message).toMatch(/No hardware is connected/);
    expect((await apiError(b.api.invoke('stage.jog', { axis: 'z', deltaUm: 1 }))).message).toMatch(
      /not connected|No hardware/i,
    );
    expect(await b.api.invoke('stage.stop')).toMatchObject({ busy: false });
    const status = await b.api.invoke('hardware.status');
    expect(status.connected).toBe(false);
    expect(status.connection?.state).toBe('disconnected');
    expect((await b.api.invoke('info')).hardware.profile).toBe('Virtual microscope (20x)');
    // Calibration needs devices.
    expect((await apiError(b.api.invoke('calibration.run', { step: 'backlash' }))).code).toBe('CONFLICT');

    await b.api.invoke('hardware.connect', { id: 'virtual-microscope-20x' });
    expect((await b.api.invoke('camera.preview', { maxSize: 128 })).width).toBeGreaterThan(0);
  });

  it('a serial stage whose link drops: the state turns "lost" with a notice, and a reconnect brings it back', async () => {
    pty = await startEmulatorOnPty('grbl', { speedUmPerS: 5000 });
    const b = await backend();
    const { id } = await b.api.invoke('profiles.save', { profile: serialProfile('Emulated GRBL', pty.hostPath) });
    await b.api.invoke('hardware.connect', { id });
    expect((await b.api.invoke('stage.jog', { axis: 'z', deltaUm: 5 })).zUm).toBeCloseTo(5, 3);
    expect(pty.emulator.positionUm()).toBeCloseTo(5, 3);
    // The virtual camera follows the real stage: its truth is the controller's position.
    expect(b.services.hardware.devices.sim!.truth().zMechanicalUm).toBeCloseTo(5, 3);

    pty.drop();
    const err = await apiError(b.api.invoke('stage.jog', { axis: 'z', deltaUm: 1 }));
    expect(err.code).toBe('HARDWARE');
    expect(err.details?.kind).toBe('disconnected');
    await expect.poll(() => b.services.hardware.connection().state).toBe('lost');
    expect(connectionEvents(b).at(-1)).toMatchObject({ state: 'lost', profileId: id });
    const notices = b.events
      .filter((e) => e.event === 'notice')
      .map((e) => e.data as { level: string; message: string });
    expect(notices).toHaveLength(1);
    expect(notices[0].level).toBe('error');
    expect(notices[0].message).toMatch(/^Hardware connection lost: .*Reconnect on the Hardware page\.$/);
    // The position readout keeps the last known value instead of failing.
    expect((await b.api.invoke('stage.position')).zUm).toBeCloseTo(5, 3);

    await pty.reconnect();
    expect(await b.api.invoke('hardware.connect', { id })).toMatchObject({ state: 'connected', profileId: id });
    expect((await b.api.invoke('stage.jog', { axis: 'z', deltaUm: 1 })).zUm).toBeCloseTo(6, 3);
    expect(pty.emulator.positionUm()).toBeCloseTo(6, 3);
  });

  it('reopens the last profile at the next start, and falls back to the virtual microscope with a notice', async () => {
    const hardwareDir = tempHardwareDir('restart');
    const first = await backend({ hardwareDir });
    await first.api.invoke('hardware.connect', { id: 'virtual-microscope-40x' });
    await first.close();
    backends = backends.filter((x) => x !== first);

    const second = await backend({ hardwareDir });
    expect(await second.api.invoke('hardware.connection')).toMatchObject({
      state: 'connected',
      profileId: 'virtual-microscope-40x',
      message: null,
    });
    expect((await second.api.invoke('hardware.status')).setupId).toBe('40x');
    // CLI commands do not reopen it: they start on the virtual microscope.
    const cli = await backend({ hardwareDir, frontDoor: 'cli' });
    expect((await cli.api.invoke('hardware.connection')).profileId).toBe('virtual-microscope-20x');

    pty = await startEmulatorOnPty('asi', { speedUmPerS: 5000 });
    const profile = {
      ...serialProfile('Emulated ASI', pty.hostPath),
      stage: { driver: 'asi' as const, port: pty.hostPath, limits: { minUm: -100, maxUm: 100 } },
    };
    await second.api.invoke('hardware.connect', { profile });
    await second.close();
    backends = backends.filter((x) => x !== second);
    await pty.cleanup(); // the controller is unplugged before the next start
    pty = null;

    const third = await backend({ hardwareDir });
    const link = await third.api.invoke('hardware.connection');
    expect(link).toMatchObject({ state: 'connected', profileId: 'virtual-microscope-20x', builtin: true });
    expect(link.message).toMatch(
      /^Could not reconnect to "Emulated ASI" \(Cannot connect "Emulated ASI": .*\); using the virtual microscope instead\.$/,
    );
    expect((await third.api.invoke('camera.preview', { maxSize: 128 })).width).toBeGreaterThan(0);
  });
});
