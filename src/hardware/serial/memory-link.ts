/**
 * In-memory byte links for tests and demos: no serial port, no pseudo-terminal.
 * A pair connects a host end (the driver's) to a device end (an emulator or a test script),
 * and every byte the host writes is recorded so tests can check exactly what was sent.
 */
import { HardwareError } from '../types';
import type { ByteLink } from './link';

export class MemoryLink implements ByteLink {
  /** Every chunk this end wrote, in order. */
  readonly written: Buffer[] = [];
  peer: MemoryLink | null = null;
  private open = true;
  private dataListeners: Array<(chunk: Buffer) => void> = [];
  private closeListeners: Array<(reason: string, expected: boolean) => void> = [];

  constructor(readonly description: string) {}

  isOpen(): boolean {
    return this.open;
  }

  /** Everything written so far, as text. */
  writtenText(): string {
    return Buffer.concat(this.written).toString('latin1');
  }

  async write(data: Buffer): Promise<void> {
    if (!this.open) throw new HardwareError('disconnected', `${this.description} is closed`);
    const copy = Buffer.from(data);
    this.written.push(copy);
    const peer = this.peer;
    // Deliver asynchronously, like a real port would.
    setImmediate(() => peer?.receive(copy));
  }

  /** Bytes arriving at this end as if sent by the other side (test scripts use it directly). */
  receive(chunk: Buffer | string): void {
    if (!this.open) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    for (const l of this.dataListeners) l(buf);
  }

  async purgeInput(): Promise<void> {
    // Nothing is buffered below the listeners in memory.
  }

  async close(): Promise<void> {
    this.shutDown(`${this.description} closed`, true);
    this.peer?.shutDown(`the other end of ${this.description} closed`, false);
  }

  /** Simulates the cable being pulled: both ends see an unexpected close. */
  drop(): void {
    this.shutDown(`${this.description} dropped`, false);
    this.peer?.shutDown(`${this.description} dropped`, false);
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (reason: string, expected: boolean) => void): void {
    this.closeListeners.push(listener);
  }

  private shutDown(reason: string, expected: boolean): void {
    if (!this.open) return;
    this.open = false;
    for (const l of this.closeListeners) l(reason, expected);
  }
}

export function createMemoryLinkPair(name = 'memory link'): { host: MemoryLink; device: MemoryLink } {
  const host = new MemoryLink(`${name} (host end)`);
  const device = new MemoryLink(`${name} (device end)`);
  host.peer = device;
  device.peer = host;
  return { host, device };
}
