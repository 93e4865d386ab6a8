/**
 * THE API CONTRACT: every request, response and event of FocusStation, with its runtime schema.
 * Electron IPC handlers, the preload bridge, the browser-mode HTTP/WebSocket server and client, and the CLI are all
 * derived from these two maps; no method name or payload shape is written anywhere else.
 */
import { z } from 'zod';
import { procedure, type EventEnvelope, type HandlersOf, type InvokerOf } from './contract';
import { AppInfo } from './schemas/app';
import {
  ExposureInput,
  HardwareStatus,
  JogInput,
  MoveToInput,
  Preview,
  PreviewInput,
  StagePosition,
} from './schemas/hardware';
import { TaskInfo, TaskRef } from './schemas/task';

const Empty = z.object({}).strict();
const Ok = z.object({ ok: z.literal(true) });

export const procedures = {
  info: procedure({
    summary: 'Versions, models found and the hardware profile in use',
    input: Empty,
    output: AppInfo,
  }),

  // --- hardware -------------------------------------------------------------------------------------------------
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

  // --- long operations ------------------------------------------------------------------------------------------
  'tasks.list': procedure({ summary: 'Long operations, running and finished', input: Empty, output: z.array(TaskInfo) }),
  'tasks.cancel': procedure({ summary: 'Cancel a running task', input: TaskRef, output: TaskInfo }),
  'tasks.pause': procedure({ summary: 'Pause a running task at the next safe point', input: TaskRef, output: TaskInfo }),
  'tasks.resume': procedure({ summary: 'Resume a paused task', input: TaskRef, output: TaskInfo }),
};

export const events = {
  'stage.position': StagePosition,
  'task.progress': TaskInfo,
  /** Something the operator should see even if no call was waiting for it (a cable pulled during live view). */
  notice: z.object({ level: z.enum(['info', 'warning', 'error']), message: z.string() }),
};

export type Procedures = typeof procedures;
export type Events = typeof events;
export type Method = keyof Procedures & string;
export type EventName = keyof Events & string;
export type Handlers = HandlersOf<Procedures>;
export type Invoke = InvokerOf<Procedures>;
export type ApiEvent = { [K in EventName]: EventEnvelope<Events, K> }[EventName];

export const METHODS = Object.keys(procedures) as Method[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(procedures, name);
}

/** Electron IPC channels, derived here once: the preload and the main process both import them. */
export const IPC_CHANNELS = { invoke: 'focus-station:invoke', event: 'focus-station:event' } as const;

/** Browser-mode paths. */
export const HTTP_API_PREFIX = '/api/';
export const WS_PATH = '/ws';
