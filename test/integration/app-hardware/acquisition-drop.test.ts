/**
 * An acquisition on an emulated serial Z stage (the real driver over a socat pseudo-terminal, connected through a
 * hardware profile in the app; the virtual camera renders the defocus of that stage) whose connection drops mid-stack:
 * the run stops cleanly as 'interrupted', every plane stored before the drop is kept byte for byte (hash check),
 * and after reconnecting the profile the run resumes and completes with no duplicate and no gap.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulatorOnPty, type PtyEmulator } from '../../../src/hardware/emulators';
import { acquire, findResumableRuns } from '../../../src/main/acquisition';
import type { Dataset } from '../../../src/main/dataset/db';
import type { ProtocolName } from '../../../src/hardware/serial/protocol';
import { newDataset, seedSetupAndSlide } from '../../helpers/datasetFixtures';
import { startBackend, type TestBackend } from './services';

let pty: PtyEmulator | null = null;
let backend: TestBackend | null = null;
let ds: Dataset | null = null;
afterEach(async () => {
  ds?.close();
  ds = null;
  await backend?.close();
  backend = null;
  await pty?.cleanup();
  pty = null;
});

interface StoredPlane {
  plane_index: number;
  z_um: number;
  file: string;
  sha256: string;
}

function storedPlanes(d: Dataset): StoredPlane[] {
  return d.db.prepare('SELECT plane_index, z_um, file, sha256 FROM images ORDER BY plane_index').all() as StoredPlane[];
}

function fileHash(d: Dataset, file: string): string {
  return createHash('sha256')
    .update(readFileSync(join(d.imagesDir, file)))
    .digest('hex');
}

describe.each([
  // GRBL reports mm with 3 decimals (1 um resolution): 1 um planes. ASI counts tenths of um: 0.5 um planes.
  ['grbl', 0.001, 1, 9],
  ['asi', 10, 0.5, 17],
] as [ProtocolName, number, number, number][])('%s stage dropping mid-stack', (driver, stepsPerUm, stepUm, nPlanes) => {
  it('stops cleanly, keeps every stored plane, and resumes after reconnecting with no duplicate', async () => {
    pty = await startEmulatorOnPty(driver, { speedUmPerS: 2000 });
    backend = await startBackend({}, `acq-${driver}`);
    const { api, services } = backend;
    const { id } = await api.invoke('profiles.save', {
      profile: {
        name: `Emulated ${driver}`,
        camera: { kind: 'sim', width: 160, height: 120 },
        stage: { driver, port: pty.hostPath, stepsPerUm, limits: { minUm: -100, maxUm: 100 }, timeoutMs: 1000 },
        opticalSetupId: '20x',
      },
    });
    await api.invoke('hardware.connect', { id });
    ds = newDataset(`hw-drop-${driver}`);
    const { setup, slide } = seedSetupAndSlide(ds);
    const devices = () => {
      const m = services.hardware.devices;
      return { camera: m.camera, z: m.zStage, xy: m.xyStage };
    };
    const params = {
      slideId: slide.id,
      setupId: setup.id,
      z0Um: 0,
      range: { fromUm: -4, toUm: 4, stepUm },
      overshootUm: 3,
    };

    // The cable is pulled once 4 planes are stored.
    let dropped = false;
    const first = await acquire({
      db: ds,
      devices: devices(),
      params,
      onProgress: (p) => {
        if (!dropped && p.done >= 4) {
          dropped = true;
          pty!.drop();
        }
      },
    });
    expect(dropped).toBe(true);
    expect(first.state).toBe('interrupted');
    console.log(`${driver}: interrupted by "${first.error}" after ${first.planesStored} planes`);
    expect(first.planesStored).toBeGreaterThanOrEqual(4);
    expect(first.planesStored).toBeLessThan(nPlanes);
    expect(findResumableRuns(ds).map((r) => [r.id, r.state, r.error?.split(':')[0]])).toEqual([
      [first.runId, 'interrupted', 'disconnected'],
    ]);
    // The app noticed: the link is 'lost'.
    expect(services.hardware.connection().state).toBe('lost');

    const before = storedPlanes(ds);
    expect(before.map((p) => p.plane_index)).toEqual([...Array(first.planesStored).keys()]);
    for (const p of before) expect(fileHash(ds, p.file)).toBe(p.sha256);
    // Planes are where the controller says they are (in um, through the driver's unit mapping).
    for (const p of before) expect(p.z_um).toBeCloseTo(-4 + p.plane_index * stepUm, 3);

    // Plug back in, reconnect the profile, resume.
    await pty.reconnect();
    await api.invoke('hardware.connect', { id });
    expect(services.hardware.connection().state).toBe('connected');
    const second = await acquire({ db: ds, devices: devices(), resumeRunId: first.runId });
    expect(second.state).toBe('completed');
    expect(second.planesStored).toBe(nPlanes);

    const after = storedPlanes(ds);
    expect(after.map((p) => p.plane_index)).toEqual([...Array(nPlanes).keys()]);
    expect(new Set(after.map((p) => p.sha256)).size).toBe(nPlanes);
    // The planes stored before the drop are untouched: same rows, same files, same bytes.
    for (const p of before) {
      const now = after.find((q) => q.plane_index === p.plane_index)!;
      expect(now).toEqual(p);
      expect(fileHash(ds, now.file)).toBe(p.sha256);
    }
    for (const p of after) expect(fileHash(ds, p.file)).toBe(p.sha256);
    expect(findResumableRuns(ds)).toEqual([]);
    // The emulated controller ends at the last plane.
    expect(pty.emulator.positionUm()).toBeCloseTo(4, 3);
  });
});
