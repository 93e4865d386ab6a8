/**
 * A hardware profile made into open devices (the app's Microscope):
 * - camera 'sim' + stage 'sim': the virtual microscope at the profile's optical setup;
 * - camera 'sim' + a serial stage: the controller drives Z and the virtual camera renders its defocus (demo mode
 *   with `focus-station emulate`, tests with real serial I/O and real images);
 * - an ffmpeg or watched-folder camera + a serial stage: real hardware.
 * Everything opened is closed again when a later part fails, and the failure is one HardwareError naming the profile.
 */
import { createVirtualMicroscope, type VirtualMicroscope } from '../../hardware/sim';
import { createCameraFromProfile } from '../../hardware/camera/from-profile';
import { createStagesFromProfile } from '../../hardware/stage/from-profile';
import type { LinkOpener } from '../../hardware/serial/drivers/base';
import { HardwareError, type Camera, type XYStage, type ZStage } from '../../hardware/types';
import type { HardwareProfile } from '../../shared/hardware-profile';
import { isSetupPresetId, SETUP_PRESETS, type SimOptions } from '../../shared/optics';
import { FixedXYStage } from './fixed-xy-stage';
import { FollowingZStage } from './following-z-stage';
import type { Microscope } from './microscope';
import { createVirtualMicroscopeDevices, LIVE_ROI } from './virtual-microscope';

export interface OpenProfileOptions {
  /** Base options of the virtual microscope (time scale, slide, seed...); the profile sets setup, limits and size. */
  sim?: SimOptions;
  /** Replaces the serial port (in-memory tests). */
  openLink?: LinkOpener;
}

export async function openMicroscope(profile: HardwareProfile, options: OpenProfileOptions = {}): Promise<Microscope> {
  try {
    if (profile.stage.driver === 'sim') return await openVirtual(profile, options.sim ?? {});
    return await openSerial(profile, options);
  } catch (err) {
    throw connectError(profile, err);
  }
}

function connectError(profile: HardwareProfile, err: unknown): HardwareError {
  const message = `Cannot connect "${profile.name}": ${err instanceof Error ? err.message : String(err)}`;
  if (err instanceof HardwareError) return new HardwareError(err.kind, message, err.details);
  return new HardwareError('config', message);
}

function simSetup(profile: HardwareProfile): '20x' | '40x' {
  if (!isSetupPresetId(profile.opticalSetupId)) {
    throw new HardwareError(
      'config',
      `the virtual microscope knows the optical setups 20x and 40x, not "${profile.opticalSetupId}"`,
    );
  }
  return profile.opticalSetupId;
}

function simSize(profile: HardwareProfile): { roi?: { width: number; height: number } } {
  const c = profile.camera;
  return c.kind === 'sim' && c.width && c.height ? { roi: { width: c.width, height: c.height } } : {};
}

async function openVirtual(profile: HardwareProfile, sim: SimOptions): Promise<Microscope> {
  if (profile.camera.kind !== 'sim') {
    throw new HardwareError('config', 'a simulated stage needs the simulated camera: set the camera to "sim"');
  }
  const devices = await createVirtualMicroscopeDevices({
    ...sim,
    setup: simSetup(profile),
    zLimits: profile.stage.limits,
    ...(profile.xyStage?.driver === 'sim' ? { xyLimits: profile.xyStage.limits } : {}),
    ...simSize(profile),
  });
  return { ...devices, profileName: profile.name };
}

async function openSerial(profile: HardwareProfile, options: OpenProfileOptions): Promise<Microscope> {
  const stages = createStagesFromProfile(profile.stage, profile.xyStage, options.openLink);
  const cleanup: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  };
  try {
    await stages.z.connect();
    cleanup.push(() => stages.z.disconnect());
    let camera: Camera;
    let zStage: ZStage = stages.z;
    let xyStage: XYStage = stages.xy ?? new FixedXYStage();
    let sim: VirtualMicroscope | undefined;
    if (profile.camera.kind === 'sim') {
      sim = await followingSimulator(profile, options.sim ?? {}, await stages.z.position());
      cleanup.push(() => sim!.dispose());
      camera = sim.camera;
      zStage = new FollowingZStage(stages.z, sim.zStage);
      if (!stages.xy) xyStage = sim.xyStage;
    } else {
      camera = createCameraFromProfile(profile.camera);
      await camera.open();
      cleanup.push(() => camera.close());
    }
    const setupId = profile.opticalSetupId;
    return {
      profileName: profile.name,
      setupId,
      setup: isSetupPresetId(setupId) ? SETUP_PRESETS[setupId] : undefined,
      camera,
      zStage,
      xyStage,
      sim,
      ports: profile.stage.port ? [profile.stage.port] : [],
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The virtual microscope whose Z axis only mirrors a real stage: instant, exact moves over the stage's range. */
async function followingSimulator(profile: HardwareProfile, sim: SimOptions, zNow: number): Promise<VirtualMicroscope> {
  const limits = profile.stage.limits;
  return createVirtualMicroscope({
    roi: LIVE_ROI,
    ...sim,
    setup: simSetup(profile),
    ...simSize(profile),
    zLimits: { minUm: limits.minUm - 1, maxUm: limits.maxUm + 1 },
    zStart: Math.min(limits.maxUm, Math.max(limits.minUm, zNow)),
    zBacklashUm: 0,
    zSettleMs: 0,
    zSettleAmplitudeUm: 0,
    timeScale: 0,
  });
}
