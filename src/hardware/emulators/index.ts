/**
 * Fake controllers for every serial protocol: `runEmulator` serves one on a serial path (the lead's
 * `focus-station emulate <protocol> --port <path>`), `startEmulatorOnPty` makes a socat pair first
 * (tests and demos), and `createEmulator` gives an unattached one for in-memory links.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { HardwareError } from '../types';
import { PROTOCOL_NAMES, type ProtocolName } from '../serial/protocol';
import { asiEmulation } from './asi';
import { ControllerEmulator, type EmulatorOptions, type ProtocolEmulation } from './emulator';
import { grblEmulation } from './grbl';
import { ludlEmulation } from './ludl';
import { priorEmulation } from './prior';
import { createPtyPair, type PtyPair } from './pty';
import { sangaboardEmulation } from './sangaboard';
import { tangoEmulation } from './tango';

export { ControllerEmulator, type EmulatorOptions, type ProtocolEmulation, type MoveRecord } from './emulator';
export { createPtyPair, type PtyPair } from './pty';
export { MotionAxis } from './motion';

const DIALECTS: Record<ProtocolName, () => ProtocolEmulation> = {
  grbl: grblEmulation,
  sangaboard: sangaboardEmulation,
  prior: priorEmulation,
  asi: asiEmulation,
  tango: tangoEmulation,
  ludl: ludlEmulation,
};

export function createEmulator(protocol: ProtocolName, options: EmulatorOptions = {}): ControllerEmulator {
  const dialect = DIALECTS[protocol];
  if (!dialect) {
    throw new HardwareError(
      'config',
      `No emulator for "${String(protocol)}"; choose one of ${PROTOCOL_NAMES.join(', ')}`,
    );
  }
  return new ControllerEmulator(dialect(), options);
}

export interface RunEmulatorOptions extends EmulatorOptions {
  /** Serial path the emulator opens (one end of a pseudo-terminal pair). */
  port: string;
}

/** Serves a fake controller on an existing serial path until close(). */
export async function runEmulator(protocol: ProtocolName, options: RunEmulatorOptions): Promise<ControllerEmulator> {
  const emulator = createEmulator(protocol, options);
  await emulator.attachPort(options.port);
  return emulator;
}

export interface PtyEmulator {
  emulator: ControllerEmulator;
  /** The path a driver opens. */
  hostPath: string;
  /** Simulates a pulled cable now (socat is killed; the driver's port reports a disconnect). */
  drop(): void;
  /** Brings the link back on the same paths, emulator state (positions) intact. */
  reconnect(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Makes a socat pty pair, serves the emulator on one end and returns the other end's path. */
export async function startEmulatorOnPty(protocol: ProtocolName, options: EmulatorOptions = {}): Promise<PtyEmulator> {
  let pair: PtyPair = await createPtyPair();
  const devicePath = pair.devicePath;
  const hostPath = pair.hostPath;
  const baseDir = dirname(devicePath);
  const emulator = createEmulator(protocol, { ...options, onDrop: () => pair.kill() });
  await emulator.attachPort(devicePath);
  return {
    emulator,
    hostPath,
    drop: () => emulator.drop(),
    async reconnect() {
      pair.kill();
      await pair.exited();
      await emulator.close();
      pair = await createPtyPair({ devicePath, hostPath });
      await emulator.attachPort(devicePath);
    },
    async cleanup() {
      await emulator.close().catch(() => undefined);
      await pair.close();
      // The first pair owned the temporary folder; later pairs reuse its paths.
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}
export { memoryWiring, type MemoryWiring } from './memory';
