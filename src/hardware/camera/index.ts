export { FfmpegCamera, type FfmpegCameraOptions } from './ffmpeg-camera';
export { FolderCamera, type FolderCameraOptions } from './folder-camera';
export { findFfmpeg } from './ffmpeg/locate';
export {
  listCameras,
  parseV4l2Formats,
  parseDshowDevices,
  parseAvfoundationDevices,
  type CameraDevice,
  type CameraFormat,
} from './ffmpeg/devices';
export { captureArgs, inputArgs, platformInputKind, type FfmpegInput, type RawPixelFormat } from './ffmpeg/inputs';
export { RawFrameReader, type RawFrame } from './ffmpeg/frame-reader';
export { createCameraFromProfile } from './from-profile';
