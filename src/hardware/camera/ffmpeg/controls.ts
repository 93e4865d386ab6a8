/**
 * Exposure and gain. ffmpeg's capture inputs cannot set them, so on Linux they go through
 * v4l2-ctl (package v4l-utils) when it is installed; elsewhere they are recorded but not applied,
 * and the camera says so (CameraControls.applied).
 */
import { execFile } from 'node:child_process';
import { HardwareError } from '../../types';

export interface CameraControls {
  /** Whether the last setting reached the device. */
  applied: boolean;
  note: string;
}

export function runV4l2Ctl(device: string, controls: Record<string, number>, binary = 'v4l2-ctl'): Promise<void> {
  const args = ['-d', device, ...Object.entries(controls).flatMap(([k, v]) => ['-c', `${k}=${Math.round(v)}`])];
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 5000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const code = (err as NodeJS.ErrnoException).code;
      reject(
        new HardwareError(
          'config',
          code === 'ENOENT'
            ? 'v4l2-ctl is not installed (package v4l-utils): exposure and gain cannot be set on this camera'
            : `v4l2-ctl could not set ${Object.keys(controls).join(', ')} on ${device}: ${String(stderr).trim() || err.message}`,
        ),
      );
    });
  });
}

/**
 * UVC exposure: manual mode, exposure in units of 100 us. Kernels >= 5.x name the controls
 * auto_exposure / exposure_time_absolute, older ones exposure_auto / exposure_absolute.
 */
export function v4l2ExposureControlSets(exposureMs: number): Array<Record<string, number>> {
  const units = Math.max(1, Math.round(exposureMs * 10));
  return [
    { auto_exposure: 1, exposure_time_absolute: units },
    { exposure_auto: 1, exposure_absolute: units },
  ];
}

/** Tries each naming of the controls until one is accepted. */
export async function setV4l2Controls(
  device: string,
  sets: Array<Record<string, number>>,
  binary?: string,
): Promise<void> {
  let last: unknown = null;
  for (const controls of sets) {
    try {
      await runV4l2Ctl(device, controls, binary);
      return;
    } catch (err) {
      last = err;
      if (err instanceof HardwareError && /not installed/.test(err.message)) throw err;
    }
  }
  throw last;
}
