/** Auto-detect turns the controllers that answer into candidate profiles and leaves the ports in use alone. */
import { describe, expect, it } from 'vitest';
import { createEmulator, memoryWiring } from '../../../src/hardware/emulators';
import type { LinkOpener } from '../../../src/hardware/serial/drivers/base';
import { HardwareError } from '../../../src/hardware/types';
import { HardwareProfile } from '../../../src/shared/hardware-profile';
import { detectHardware } from '../../../src/main/hardware/detect';

describe('detectHardware', () => {
  it('probes each free port, proposes a profile for each controller found, and skips busy ports', async () => {
    const asi = memoryWiring(createEmulator('asi'));
    const ludl = memoryWiring(createEmulator('ludl'));
    const openLink: LinkOpener = async (o) => {
      if (o.path === '/dev/ttyUSB0') return asi.openLink(o);
      if (o.path === '/dev/ttyUSB2') return ludl.openLink(o);
      throw new HardwareError('disconnected', `Cannot open serial port ${o.path}: no such file`);
    };
    const progress: string[] = [];
    const r = await detectHardware({
      ports: { list: async () => [{ path: '/dev/ttyUSB0' }, { path: '/dev/ttyUSB1' }, { path: '/dev/ttyUSB3' }] },
      extraPorts: ['/dev/ttyUSB2'],
      busyPorts: ['/dev/ttyUSB3'],
      cameras: false,
      probeTimeoutMs: 100,
      bootWaitMs: 0,
      setupId: '40x',
      openLink,
      onProgress: (done, total, message) => progress.push(`${done}/${total} ${message}`),
    });
    expect(r.stages.map((s) => [s.port, s.found?.protocol ?? null])).toEqual([
      ['/dev/ttyUSB0', 'asi'],
      ['/dev/ttyUSB1', null],
      ['/dev/ttyUSB2', 'ludl'],
    ]);
    expect(r.skipped).toEqual([{ port: '/dev/ttyUSB3', reason: 'in use by the connected profile' }]);
    expect(progress.at(-1)).toBe('3/3 done');
    expect(r.candidates.map((c) => c.profile.name)).toEqual([
      'ASI MS-2000 on /dev/ttyUSB0',
      'Ludl MAC on /dev/ttyUSB2',
    ]);
    for (const c of r.candidates) {
      expect(HardwareProfile.parse(c.profile)).toEqual(c.profile);
      expect(c.profile.camera).toEqual({ kind: 'sim' });
      expect(c.profile.opticalSetupId).toBe('40x');
      expect(c.reason).toMatch(/check them and run the calibration/);
    }
    expect(r.candidates[0].profile.stage).toMatchObject({ driver: 'asi', port: '/dev/ttyUSB0', baud: 9600 });
  });

  it('says so when there is no serial port at all', async () => {
    const r = await detectHardware({ ports: { list: async () => [] }, cameras: false });
    expect(r.stages).toEqual([]);
    expect(r.notes).toContain('No serial ports found: is the controller plugged in and powered?');
  });
});
