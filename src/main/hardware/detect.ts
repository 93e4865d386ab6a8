/**
 * Auto-detect: list the serial ports, ask each one which controller answers (one protocol at a time), list the
 * cameras ffmpeg can see, and turn what answered into candidate profiles the operator completes and saves.
 * Ports held by the devices in use are left alone: probing them would disturb the stage.
 */
import { listCameras, type CameraDevice } from '../../hardware/camera/ffmpeg/devices';
import { findFfmpeg } from '../../hardware/camera/ffmpeg/locate';
import { DEFAULT_Z_LIMITS } from '../../hardware/serial/factory';
import type { LinkOpener } from '../../hardware/serial/drivers/base';
import { listSerialPorts, type ListPortsOptions } from '../../hardware/serial/discovery';
import { probePort, type ProbeResult } from '../../hardware/serial/probe';
import { HardwareProfile, type CameraProfile } from '../../shared/hardware-profile';
import { isSetupPresetId, samplePixelSizeUm, SETUP_PRESETS } from '../../shared/optics';
import type { DetectResult } from '../../shared/procedures/profiles';
import type { HardwareDevices } from '../../shared/procedures/hardware';

export interface DetectOptions {
  extraPorts?: string[];
  cameras?: boolean;
  probeTimeoutMs?: number;
  bootWaitMs?: number;
  /** Ports not to probe (held by the devices in use). */
  busyPorts?: string[];
  /** Optical setup of the candidates (the one in use). */
  setupId?: string;
  onProgress?: (done: number, total: number, message: string) => void;
  signal?: AbortSignal;
  ports?: ListPortsOptions;
  openLink?: LinkOpener;
}

const LABELS: Record<string, string> = {
  grbl: 'GRBL',
  sangaboard: 'Sangaboard',
  prior: 'Prior ProScan',
  asi: 'ASI MS-2000',
  tango: 'Marzhauser Tango',
  ludl: 'Ludl MAC',
};

/** Serial ports and cameras, without probing anything. */
export async function listDevices(
  options: { cameras?: boolean; ports?: ListPortsOptions } = {},
): Promise<HardwareDevices> {
  const notes: string[] = [];
  const listing = await listSerialPorts(options.ports);
  if (listing.note) notes.push(listing.note);
  const cameras = options.cameras === false ? [] : await camerasOrNote(notes);
  return { ports: listing.ports, method: listing.method, cameras, notes };
}

export async function detectHardware(options: DetectOptions = {}): Promise<DetectResult> {
  const devices = await listDevices({ cameras: options.cameras, ports: options.ports });
  const busy = new Set(options.busyPorts ?? []);
  const paths = [...new Set([...devices.ports.map((p) => p.path), ...(options.extraPorts ?? [])])];
  const toProbe = paths.filter((p) => !busy.has(p));
  const skipped = paths.filter((p) => busy.has(p)).map((port) => ({ port, reason: 'in use by the connected profile' }));
  const stages: ProbeResult[] = [];
  for (const [i, port] of toProbe.entries()) {
    if (options.signal?.aborted) throw options.signal.reason;
    options.onProgress?.(i, toProbe.length, `probing ${port}`);
    stages.push(
      await probePort(port, {
        timeoutMs: options.probeTimeoutMs,
        bootWaitMs: options.bootWaitMs,
        openLink: options.openLink,
      }),
    );
  }
  options.onProgress?.(toProbe.length, toProbe.length, 'done');
  const notes = [...devices.notes];
  if (paths.length === 0) notes.push('No serial ports found: is the controller plugged in and powered?');
  return {
    ...devices,
    stages,
    skipped,
    candidates: candidates(stages, devices.cameras, options.setupId),
    notes,
  };
}

async function camerasOrNote(notes: string[]): Promise<CameraDevice[]> {
  try {
    return await listCameras({ ffmpegPath: findFfmpeg() });
  } catch (err) {
    notes.push(`Cameras were not listed: ${(err as Error).message}`);
    return [];
  }
}

/** One candidate per controller that answered, with the first camera found (or the virtual camera). */
function candidates(stages: ProbeResult[], cameras: CameraDevice[], setupId = '20x'): DetectResult['candidates'] {
  const setup = isSetupPresetId(setupId) ? SETUP_PRESETS[setupId] : SETUP_PRESETS['20x'];
  const camera = cameraCandidate(cameras[0], samplePixelSizeUm(setup), setup.pixelPitchUm);
  const out: DetectResult['candidates'] = [];
  for (const s of stages) {
    if (!s.found) continue;
    const label = LABELS[s.found.protocol] ?? s.found.protocol;
    const profile = HardwareProfile.parse({
      name: `${label} on ${s.port}`,
      camera: camera?.profile ?? { kind: 'sim' },
      stage: { driver: s.found.protocol, port: s.port, baud: s.found.baud, limits: DEFAULT_Z_LIMITS },
      opticalSetupId: setup.id,
    });
    const reasons = [
      `${label} answered "${s.found.identity}" at ${s.found.baud} baud`,
      'soft limits, steps per um and direction are defaults: check them and run the calibration',
      camera ? camera.note : 'no camera found: the virtual camera follows the stage',
    ];
    out.push({ profile, reason: reasons.join('; ') });
  }
  return out;
}

function cameraCandidate(
  device: CameraDevice | undefined,
  pixelSizeUm: number,
  pixelPitchUm: number,
): { profile: CameraProfile; note: string } | null {
  if (!device) return null;
  const sizes = device.formats.flatMap((f) => f.sizes.map((s) => ({ ...s, format: f.pixelFormat })));
  const best = sizes.sort((a, b) => b.width * b.height - a.width * a.height)[0] ?? { width: 1280, height: 720 };
  return {
    profile: {
      kind: 'ffmpeg',
      input: device.kind,
      device: device.device,
      width: best.width,
      height: best.height,
      ...('format' in best ? { inputFormat: best.format } : {}),
      pixelFormat: 'rgb24',
      pixelSizeUm,
      pixelPitchUm,
    },
    note: `camera "${device.name}" at ${best.width}x${best.height}; pixel size assumed from the optical setup (${pixelSizeUm.toFixed(4)} um/px): check it`,
  };
}
