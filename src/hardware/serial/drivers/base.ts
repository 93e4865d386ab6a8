/**
 * Shared plumbing for serial stage drivers: opening the link, identifying the controller,
 * one transport per connection, polling helpers. A driver that lost its link reconnects with connect().
 */
import { HardwareError } from '../../types';
import { openSerialLink, type ByteLink, type SerialLinkOptions } from '../link';
import type { Command, LineProtocol } from '../protocol';
import { asHardwareError, LineTransport } from '../transport';

export type LinkOpener = (options: SerialLinkOptions) => Promise<ByteLink>;

export interface SerialDriverOptions {
  /** Serial device path (/dev/ttyUSB0, COM3, a pseudo-terminal). */
  port: string;
  baud?: number;
  /** Reply timeout for ordinary commands (ms). */
  timeoutMs?: number;
  /** Longest time a move may take before it is declared stuck (ms). */
  moveTimeoutMs?: number;
  /** Interval between busy polls (ms). */
  pollMs?: number;
  /** Longest wait for the answer to the bare line end sent at connect to resynchronise (ms, default 300). */
  lineClearMs?: number;
  /** Replaces the real serial port (tests: in-memory links). */
  openLink?: LinkOpener;
}

export abstract class SerialDriverBase {
  protected transport: LineTransport | null = null;
  protected identity = '';
  protected readonly protocol: LineProtocol;

  constructor(
    baseProtocol: LineProtocol,
    protected readonly options: SerialDriverOptions,
  ) {
    this.protocol = {
      ...baseProtocol,
      defaultTimeoutMs: options.timeoutMs ?? baseProtocol.defaultTimeoutMs,
      moveTimeoutMs: options.moveTimeoutMs ?? baseProtocol.moveTimeoutMs,
    };
  }

  get name(): string {
    return `${this.protocol.name} on ${this.options.port}`;
  }

  /** The identify reply from the controller (version string). */
  identityText(): string {
    return this.identity;
  }

  isConnected(): boolean {
    return this.transport?.isOpen() ?? false;
  }

  async connect(): Promise<void> {
    if (this.isConnected()) return;
    const open = this.options.openLink ?? openSerialLink;
    const link = await open({
      path: this.options.port,
      baudRate: this.options.baud ?? this.protocol.defaultBaud,
      stopBits: this.protocol.stopBits,
      hupcl: !this.protocol.keepDtrOnClose,
    });
    const transport = new LineTransport(link, this.protocol);
    this.transport = transport;
    try {
      if (this.protocol.preamble) await transport.sendRealtime(this.protocol.preamble);
      await transport.clearDeviceLine(this.options.lineClearMs);
      this.identity = await this.identifyWithRetry(transport);
      await this.setup();
    } catch (err) {
      this.transport = null;
      await transport.close().catch(() => undefined);
      throw asHardwareError(err);
    }
  }

  async disconnect(): Promise<void> {
    const t = this.transport;
    this.transport = null;
    if (t) await t.close();
  }

  /** Recent traffic, for error reports and the UI's serial console. */
  traffic() {
    return this.transport?.traffic() ?? [];
  }

  /** Controller-specific commands after identification (units, modes). */
  protected abstract setup(): Promise<void>;

  protected request<T>(command: Command<T>): Promise<T> {
    return this.live().request(command);
  }

  protected live(): LineTransport {
    const t = this.transport;
    if (!t || !t.isOpen()) {
      throw new HardwareError('disconnected', `${this.name} is not connected; call connect() first`);
    }
    return t;
  }

  protected pollMs(): number {
    return this.options.pollMs ?? 50;
  }

  /**
   * Polls `done` until it returns true. On the move timeout the axis is stopped (best effort)
   * and a 'timeout' error says what was being waited for.
   */
  protected async waitUntil(
    done: () => Promise<boolean>,
    what: string,
    onTimeout?: () => Promise<void>,
  ): Promise<void> {
    const deadline = Date.now() + this.protocol.moveTimeoutMs;
    for (;;) {
      if (await done()) return;
      if (Date.now() > deadline) {
        await onTimeout?.().catch(() => undefined);
        throw new HardwareError(
          'timeout',
          `${this.name}: ${what} did not finish within ${this.protocol.moveTimeoutMs} ms`,
        );
      }
      await sleep(this.pollMs());
    }
  }

  /** Controllers that reset when the port opens (Arduino boards) need a moment before they answer. */
  private async identifyWithRetry(transport: LineTransport): Promise<string> {
    let lastError: HardwareError | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await transport.request(this.protocol.identify());
      } catch (err) {
        lastError = asHardwareError(err);
        // A device error here is usually a stale answer to line noise: resync and ask again.
        if (lastError.kind === 'disconnected') break;
        transport.markDirty('a failed identify');
        await sleep(300);
      }
    }
    throw new HardwareError(
      lastError?.kind === 'disconnected' ? 'disconnected' : 'protocol',
      `No ${this.protocol.name} controller answered on ${this.options.port}: ${lastError?.message ?? 'no reply'}`,
    );
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
