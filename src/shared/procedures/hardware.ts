/** The microscope in use: status, stage moves, camera preview; connecting to a hardware profile. */
import { z } from 'zod';
import { procedure } from '../contract';
import { HardwareProfile } from '../hardware-profile';
import {
  ExposureInput,
  HardwareConnection,
  HardwareStatus,
  JogInput,
  MoveToInput,
  Preview,
  PreviewInput,
  StagePosition,
} from '../schemas/hardware';
import { Empty, Ok } from './common';
import { DetectResult, ProfileId } from './profiles';

/** A saved (or built-in) profile by id, or a profile given in full (not saved). */
export const ConnectInput = z
  .object({ id: ProfileId.optional(), profile: HardwareProfile.optional() })
  .strict()
  .refine((v) => (v.id === undefined) !== (v.profile === undefined), {
    message: 'give either the id of a saved profile or a whole profile, not both',
  });

/** What is plugged in, without probing: serial ports and cameras. */
export const HardwareDevices = DetectResult.pick({ ports: true, method: true, cameras: true, notes: true });
export type HardwareDevices = z.infer<typeof HardwareDevices>;

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
  'hardware.connect': procedure({
    summary: 'Open the devices of a hardware profile and use them; the devices in use stay if it fails',
    input: ConnectInput,
    output: HardwareConnection,
  }),
  'hardware.disconnect': procedure({
    summary: 'Close the devices in use (the live view then shows "not connected")',
    input: Empty,
    output: HardwareConnection,
  }),
  'hardware.connection': procedure({
    summary: 'The link state: which profile is in use, connected, disconnected or lost',
    input: Empty,
    output: HardwareConnection,
  }),
  'hardware.devices': procedure({
    summary: 'Serial ports and cameras found on this machine (no probing)',
    input: z.object({ cameras: z.boolean().default(true) }).strict(),
    output: HardwareDevices,
  }),
};
