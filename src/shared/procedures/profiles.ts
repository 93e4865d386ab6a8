/** Hardware profiles: the saved descriptions of a microscope's camera, stages and optics, and auto-detection. */
import { z } from 'zod';
import { procedure } from '../contract';
import { HardwareProfile, SERIAL_STAGE_DRIVERS } from '../hardware-profile';
import { TaskStarted } from '../schemas/task';
import { Empty } from './common';

/** A profile's id: the file-name-safe slug of its name (profileId() in hardware-profile.ts). */
export const ProfileId = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'a profile id is lower-case letters, digits and dashes');

export const ProfileEntry = z.object({
  id: ProfileId,
  /** The virtual-microscope profiles shipped with the app: read-only, never deleted. */
  builtin: z.boolean(),
  profile: HardwareProfile,
});
export type ProfileEntry = z.infer<typeof ProfileEntry>;

export const ProfileList = z.object({
  profiles: z.array(ProfileEntry),
  /** Files in the profile folder that are not valid profiles, with the reason (shown, never fatal). */
  invalid: z.array(z.object({ file: z.string(), error: z.string() })),
  /** The profile whose devices are in use, when it is a listed one. */
  currentId: z.string().nullable(),
});
export type ProfileList = z.infer<typeof ProfileList>;

export const SaveProfileInput = z
  .object({
    profile: HardwareProfile,
    /** Saving under a new name renames: the profile with this id is removed once the new one is written. */
    replaceId: ProfileId.optional(),
  })
  .strict();

export const DetectInput = z
  .object({
    /** Paths to probe besides the listed serial ports (pseudo-terminals of emulators, unlisted adapters). */
    extraPorts: z.array(z.string().min(1).max(400)).max(16).default([]),
    /** List cameras with ffmpeg too. */
    cameras: z.boolean().default(true),
    /** Reply timeout per protocol tried (ms). */
    probeTimeoutMs: z.number().int().min(50).max(10_000).optional(),
    /** Wait after opening a port for Arduino boards (GRBL, Sangaboard) that reset on open (ms). */
    bootWaitMs: z.number().int().min(0).max(10_000).optional(),
  })
  .strict();

const ProbeAttempt = z.object({ protocol: z.string(), baud: z.number(), ok: z.boolean(), detail: z.string() });

export const DetectResult = z.object({
  ports: z.array(
    z.object({
      path: z.string(),
      manufacturer: z.string().optional(),
      serialNumber: z.string().optional(),
      vendorId: z.string().optional(),
      productId: z.string().optional(),
    }),
  ),
  /** How the ports were listed: serialport (udev) or a scan of /dev when udevadm is missing. */
  method: z.enum(['serialport', 'device-scan']),
  stages: z.array(
    z.object({
      port: z.string(),
      found: z.object({ protocol: z.enum(SERIAL_STAGE_DRIVERS), baud: z.number(), identity: z.string() }).nullable(),
      attempts: z.array(ProbeAttempt),
    }),
  ),
  /** Ports left alone, with the reason (the port of the profile in use). */
  skipped: z.array(z.object({ port: z.string(), reason: z.string() })),
  cameras: z.array(
    z.object({
      kind: z.enum(['v4l2', 'dshow', 'avfoundation']),
      device: z.string(),
      name: z.string(),
      formats: z.array(
        z.object({
          type: z.string(),
          pixelFormat: z.string(),
          description: z.string(),
          sizes: z.array(z.object({ width: z.number(), height: z.number() })),
        }),
      ),
    }),
  ),
  /** Ready-to-edit profiles for what answered; `reason` says what was assumed. */
  candidates: z.array(z.object({ profile: HardwareProfile, reason: z.string() })),
  notes: z.array(z.string()),
});
export type DetectResult = z.infer<typeof DetectResult>;

export const profilesProcedures = {
  'profiles.list': procedure({
    summary: 'Hardware profiles: the built-in virtual microscopes and the saved ones',
    input: Empty,
    output: ProfileList,
  }),
  'profiles.get': procedure({
    summary: 'One hardware profile',
    input: z.object({ id: ProfileId }).strict(),
    output: ProfileEntry,
  }),
  'profiles.save': procedure({
    summary: 'Validate and save a hardware profile (its id comes from its name)',
    input: SaveProfileInput,
    output: ProfileEntry,
  }),
  'profiles.delete': procedure({
    summary: 'Delete a saved hardware profile (built-in ones cannot be deleted)',
    input: z.object({ id: ProfileId }).strict(),
    output: z.object({ deleted: z.boolean() }),
  }),
  'profiles.detect': procedure({
    summary:
      'Auto-detect: list serial ports, probe each for a known controller, list cameras; offers candidate profiles',
    input: DetectInput,
    output: TaskStarted,
    task: true,
  }),
};
