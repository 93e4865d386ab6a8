/**
 * One logger for the backend. Logs go to stderr so that `--json` output on stdout stays machine-readable.
 * FOCUS_STATION_LOG_LEVEL=debug|info|warn|error|silent.
 */
import pino from 'pino';

export const logger = pino(
  {
    name: 'focus-station',
    level: process.env.FOCUS_STATION_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'warn'),
  },
  pino.destination(2),
);
