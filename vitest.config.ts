import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores on CI: run files in two forks; native modules (sqlite, onnxruntime, serialport) stay per process.
    pool: 'forks',
    maxWorkers: 2,
  },
});
