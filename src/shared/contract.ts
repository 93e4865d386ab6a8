/**
 * The contract machinery: how a procedure and an event are declared, and the types every front door derives from them.
 * The procedures themselves live in api.ts; nothing here knows about a particular method.
 */
import { z } from 'zod';

export interface ProcedureDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** One line for `--help`, the HTTP index and the docs. */
  summary: string;
  input: I;
  output: O;
  /** Long operations answer at once with a task id and report through `task.progress` events. */
  task?: boolean;
}

export function procedure<I extends z.ZodType, O extends z.ZodType>(def: ProcedureDef<I, O>): ProcedureDef<I, O> {
  return def;
}

export type ProcedureMap = Record<string, ProcedureDef>;
export type EventMap = Record<string, z.ZodType>;

export type InputOf<P extends ProcedureMap, M extends keyof P> = z.input<P[M]['input']>;
export type ParsedInputOf<P extends ProcedureMap, M extends keyof P> = z.output<P[M]['input']>;
export type OutputOf<P extends ProcedureMap, M extends keyof P> = z.output<P[M]['output']>;

/** What the backend implements: one async function per procedure, given the already-validated input. */
export type HandlersOf<P extends ProcedureMap> = {
  [M in keyof P]: (input: ParsedInputOf<P, M>) => Promise<OutputOf<P, M>>;
};

/** What a client calls. */
export type InvokerOf<P extends ProcedureMap> = <M extends keyof P & string>(
  method: M,
  ...input: {} extends InputOf<P, M> ? [InputOf<P, M>?] : [InputOf<P, M>]
) => Promise<OutputOf<P, M>>;

export type EventPayload<E extends EventMap, K extends keyof E> = z.output<E[K]>;

/** An event as it travels: a name from the event map and its payload. */
export interface EventEnvelope<E extends EventMap = EventMap, K extends keyof E & string = keyof E & string> {
  event: K;
  data: EventPayload<E, K>;
}
