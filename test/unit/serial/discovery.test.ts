import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSerialPorts } from '../../../src/hardware/serial/discovery';

describe('listSerialPorts', () => {
  it('uses SerialPort.list when it works', async () => {
    const r = await listSerialPorts({ list: async () => [{ path: '/dev/ttyUSB3', manufacturer: 'FTDI' }] });
    expect(r.method).toBe('serialport');
    expect(r.ports).toEqual([{ path: '/dev/ttyUSB3', manufacturer: 'FTDI' }]);
  });

  it('falls back to scanning ttyUSB*/ttyACM* when udevadm is missing, and says so', async () => {
    const dev = mkdtempSync(join(tmpdir(), 'fake-dev-'));
    for (const n of ['ttyUSB10', 'ttyUSB2', 'ttyACM0', 'ttyS0', 'null']) writeFileSync(join(dev, n), '');
    mkdirSync(join(dev, 'pts'));
    const enoent = Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT' });
    const r = await listSerialPorts({ list: async () => Promise.reject(enoent), devDir: dev, platform: 'linux' });
    expect(r.method).toBe('device-scan');
    expect(r.ports.map((p) => p.path)).toEqual([join(dev, 'ttyACM0'), join(dev, 'ttyUSB2'), join(dev, 'ttyUSB10')]);
    expect(r.note).toMatch(/udevadm ENOENT/);
    expect(r.note).toMatch(/install udev/);
  });

  it('lists nothing (not a crash) when the fallback folder cannot be read', async () => {
    const r = await listSerialPorts({
      list: async () => Promise.reject(new Error('no udevadm')),
      devDir: '/nonexistent-dev-dir',
      platform: 'linux',
    });
    expect(r.ports).toEqual([]);
    expect(r.method).toBe('device-scan');
  });
});
