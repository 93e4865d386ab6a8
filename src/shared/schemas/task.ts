import { z } from 'zod';

export const TaskState = z.enum(['running', 'paused', 'done', 'failed', 'cancelled']);
export type TaskState = z.infer<typeof TaskState>;

export const TaskId = z.string().min(1).max(64);

/** A long operation (acquisition, export, training import, autofocus sweep) as the UI and scripts see it. */
export const TaskInfo = z.object({
  id: TaskId,
  kind: z.string(),
  title: z.string(),
  state: TaskState,
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
  /** Seconds left, estimated from the rate so far; null until there is a rate. */
  etaS: z.number().nonnegative().nullable(),
  message: z.string(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  canPause: z.boolean(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  result: z.unknown().optional(),
});
export type TaskInfo = z.infer<typeof TaskInfo>;

export const TaskRef = z.object({ taskId: TaskId });
export const TaskStarted = z.object({ taskId: TaskId });
