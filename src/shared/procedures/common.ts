import { z } from 'zod';

/** A procedure that takes no input; extra fields are refused so a typo is not silently ignored. */
export const Empty = z.object({}).strict();
export const Ok = z.object({ ok: z.literal(true) });
