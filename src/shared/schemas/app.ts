import { z } from 'zod';

export const FrontDoor = z.enum(['electron', 'browser', 'cli']);
export type FrontDoor = z.infer<typeof FrontDoor>;

export const ModelSummary = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  valid: z.boolean(),
  setupId: z.string().nullable(),
  error: z.string().optional(),
});
export type ModelSummary = z.infer<typeof ModelSummary>;

export const AppInfo = z.object({
  app: z.object({ name: z.string(), version: z.string() }),
  frontDoor: FrontDoor,
  versions: z.record(z.string(), z.string()),
  platform: z.object({ os: z.string(), arch: z.string(), cpus: z.number().int() }),
  paths: z.object({ dataDir: z.string(), modelDirs: z.array(z.string()) }),
  models: z.array(ModelSummary),
  hardware: z.object({
    profile: z.string(),
    camera: z.string(),
    zStage: z.string(),
    xyStage: z.string(),
    setup: z.string(),
  }),
});
export type AppInfo = z.infer<typeof AppInfo>;
