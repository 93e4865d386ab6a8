/** The microscope in use: status, stage moves, camera preview. */
import { procedure } from '../contract';
import {
  ExposureInput,
  HardwareStatus,
  JogInput,
  MoveToInput,
  Preview,
  PreviewInput,
  StagePosition,
} from '../schemas/hardware';
import { Empty, Ok } from './common';

export const hardwareProcedures = {
  'hardware.status': procedure({
    summary: 'Camera, stages, optical setup and current position',
    input: Empty,
    output: HardwareStatus,
  }),
  'stage.position': procedure({ summary: 'Current stage position (um)', input: Empty, output: StagePosition }),
  'stage.jog': procedure({
    summary: 'Move one axis by a relative amount (um), within the soft limits',
    input: JogInput,
    output: StagePosition,
  }),
  'stage.moveTo': procedure({
    summary: 'Move one axis to an absolute position (um), within the soft limits',
    input: MoveToInput,
    output: StagePosition,
  }),
  'stage.stop': procedure({ summary: 'Stop every axis now', input: Empty, output: StagePosition }),
  'camera.preview': procedure({
    summary: 'Snap a frame and return a scaled JPEG preview with its Z and sharpness',
    input: PreviewInput,
    output: Preview,
  }),
  'camera.setExposure': procedure({ summary: 'Set the camera exposure (ms)', input: ExposureInput, output: Ok }),
};
