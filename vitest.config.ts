import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The UI tests poll a page that a serve process renders on a loaded 2-core machine: 1 s (the default) is too
    // short there, and a poll that succeeds returns at once, so a long limit costs nothing when things work.
    expect: { poll: { timeout: 15_000 } },
    // Two cores on CI: run files in two forks; native modules (sqlite, onnxruntime, serialport) stay per process.
    pool: 'forks',
    maxWorkers: 2,
  },
});
