/** App-wide procedures: what is installed, and long operations (tasks). */
import { z } from 'zod';
import { procedure } from '../contract';
import { AppInfo } from '../schemas/app';
import { TaskInfo, TaskRef } from '../schemas/task';
import { Empty } from './common';

export const coreProcedures = {
  info: procedure({
    summary: 'Versions, models found and the hardware profile in use',
    input: Empty,
    output: AppInfo,
  }),
  'tasks.list': procedure({
    summary: 'Long operations, running and finished',
    input: Empty,
    output: z.array(TaskInfo),
  }),
  'tasks.get': procedure({
    summary: 'One long operation with its result once ended',
    input: TaskRef,
    output: TaskInfo,
  }),
  'tasks.cancel': procedure({ summary: 'Cancel a running task', input: TaskRef, output: TaskInfo }),
  'tasks.pause': procedure({
    summary: 'Pause a running task at the next safe point',
    input: TaskRef,
    output: TaskInfo,
  }),
  'tasks.resume': procedure({ summary: 'Resume a paused task', input: TaskRef, output: TaskInfo }),
};
