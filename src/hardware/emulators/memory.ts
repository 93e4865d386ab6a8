/**
 * Wires a driver to an emulator through an in-memory link: no pty, no socat. Each connect()
 * makes a fresh link, as reopening a port would; the emulator keeps its state.
 */
import { createMemoryLinkPair, type MemoryLink } from '../serial/memory-link';
import type { LinkOpener } from '../serial/drivers/base';
import type { ControllerEmulator } from './emulator';

export interface MemoryWiring {
  openLink: LinkOpener;
  /** The host end of the latest connection: its `written` log holds every byte the driver sent. */
  current(): MemoryLink | null;
  /** Every host end opened so far. */
  all(): MemoryLink[];
}

export function memoryWiring(emulator: ControllerEmulator): MemoryWiring {
  const links: MemoryLink[] = [];
  return {
    openLink: async ({ path }) => {
      const { host, device } = createMemoryLinkPair(`memory:${path}`);
      emulator.attachLink(device);
      links.push(host);
      return host;
    },
    current: () => links[links.length - 1] ?? null,
    all: () => [...links],
  };
}
