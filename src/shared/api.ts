/**
 * THE API CONTRACT: every request, response and event of FocusStation, with its runtime schema.
 * Electron IPC handlers, the preload bridge, the browser-mode HTTP/WebSocket server and client, and the CLI are all
 * derived from these two maps; no method name or payload shape is written anywhere else.
 */
import { z } from 'zod';
import type { EventEnvelope, HandlersOf, InvokerOf } from './contract';
import { HardwareConnection, StagePosition } from './schemas/hardware';
import { TaskInfo } from './schemas/task';
import { coreProcedures } from './procedures/core';
import { hardwareProcedures } from './procedures/hardware';
import { datasetProcedures } from './procedures/dataset';
import { acquisitionProcedures } from './procedures/acquisition';
import { modelsProcedures } from './procedures/models';
import { simulationProcedures } from './procedures/simulation';
import { autofocusProcedures } from './procedures/autofocus';
import { profilesProcedures } from './procedures/profiles';
import { calibrationProcedures } from './procedures/calibration';

/** Every procedure, one map per domain (src/shared/procedures/<domain>.ts). */
export const procedures = {
  ...coreProcedures,
  ...hardwareProcedures,
  ...datasetProcedures,
  ...acquisitionProcedures,
  ...modelsProcedures,
  ...simulationProcedures,
  ...autofocusProcedures,
  ...profilesProcedures,
  ...calibrationProcedures,
};

export const events = {
  'stage.position': StagePosition,
  'task.progress': TaskInfo,
  /** The hardware link changed: a profile connected, disconnected on purpose, or a device dropped. */
  'hardware.connection': HardwareConnection,
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
