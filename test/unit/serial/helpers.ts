import { createMemoryLinkPair, type MemoryLink } from '../../../src/hardware/serial/memory-link';

export async function until(cond: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A host link whose writes are recorded; tests answer by calling host.receive(). */
export function recordingLink(): MemoryLink {
  return createMemoryLinkPair('test link').host;
}

export function sentLines(link: MemoryLink, terminator = '\r'): string[] {
  return link
    .writtenText()
    .split(terminator)
    .map((l) => l.replace(/[\r\n]/g, ''))
    .filter((l) => l.length > 0);
}
