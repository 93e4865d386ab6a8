/** Real cameras from a hardware profile. The simulated camera is built by the virtual microscope. */
import type { CameraProfile } from '../../shared/hardware-profile';
import { HardwareError, type Camera } from '../types';
import { FfmpegCamera } from './ffmpeg-camera';
import { FolderCamera } from './folder-camera';

export function createCameraFromProfile(profile: CameraProfile): Camera {
  switch (profile.kind) {
    case 'ffmpeg': {
      const input =
        profile.input === 'lavfi'
          ? { kind: 'lavfi' as const, graph: profile.device }
          : {
              kind: profile.input,
              device: profile.device,
              width: profile.width,
              height: profile.height,
              frameRate: profile.frameRate,
              inputFormat: profile.inputFormat,
            };
      return new FfmpegCamera({
        input,
        width: profile.width,
        height: profile.height,
        pixelFormat: profile.pixelFormat,
        pixelSizeUm: profile.pixelSizeUm,
        pixelPitchUm: profile.pixelPitchUm,
        exposureMs: profile.exposureMs,
        gain: profile.gain,
        ffmpegPath: profile.ffmpegPath,
      });
    }
    case 'folder':
      return new FolderCamera({
        folder: profile.folder,
        pixelSizeUm: profile.pixelSizeUm,
        pixelPitchUm: profile.pixelPitchUm,
        stableMs: profile.stableMs,
        timeoutMs: profile.timeoutMs,
      });
    case 'sim':
      throw new HardwareError(
        'config',
        'The simulated camera comes with the virtual microscope, not from this factory',
      );
  }
}
