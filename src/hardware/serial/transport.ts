/**
 * The one line-protocol transport under every serial stage driver.
 *
 * - one command in flight, the rest wait in a FIFO queue;
 * - per-command timeouts (longer for moves);
 * - error replies become 'device' HardwareErrors, replies we cannot read become 'protocol' errors;
 * - realtime bytes (GRBL '?', 0x85, 0x18) and emergency lines bypass the queue;
 * - input is purged before a command; after a timeout or an unexpected reply the link is
 *   "dirty": the next command first purges and re-identifies the controller;
 * - when the port closes, every pending command fails with a 'disconnected' error.
 */
import { HardwareError } from '../types';
import { LineFramer } from './framing';
import type { ByteLink } from './link';
import { printable, type Command, type LineProtocol } from './protocol';

interface Pending {
  command: Command<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: HardwareError) => void;
}

export interface TrafficEntry {
  at: number;
  dir: 'out' | 'in' | 'realtime' | 'push' | 'unexpected' | 'note';
  text: string;
}

const TRAFFIC_KEPT = 300;
const PRESENCE_CHECK_MS = 200;

export class LineTransport {
  private readonly framer: LineFramer;
  private readonly queue: Pending[] = [];
  private inFlight: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;
  private presenceTimer: NodeJS.Timeout | null = null;
  private running = false;
  private dirtyReason: string | null = null;
  private bytesReceived = 0;
  private closedReason: string | null = null;
  private readonly pushListeners: Array<(line: string) => void> = [];
  private readonly closeListeners: Array<(reason: string) => void> = [];
  private readonly trafficLog: TrafficEntry[] = [];

  constructor(
    private readonly link: ByteLink,
    readonly protocol: LineProtocol,
  ) {
    this.framer = new LineFramer(protocol.readTerminator);
    link.onData((chunk) => this.onBytes(chunk.toString('latin1')));
    link.onClose((reason, expected) => this.onLinkClosed(expected ? `the port was closed (${reason})` : reason));
  }

  isOpen(): boolean {
    return this.closedReason === null && this.link.isOpen();
  }

  /** Queues a command; resolves with its collected reply. */
  request<T>(command: Command<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closedReason !== null) {
        reject(this.disconnectedError(command.line));
        return;
      }
      this.queue.push({ command: command as Command<unknown>, resolve: resolve as (v: unknown) => void, reject });
      void this.pump();
    });
  }

  /** Writes bytes immediately, ahead of the queue (GRBL realtime commands). */
  async sendRealtime(bytes: string | Buffer): Promise<void> {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    if (this.closedReason !== null) throw this.disconnectedError(printable(buf.toString('latin1')));
    this.note('realtime', buf.toString('latin1'));
    await this.link.write(buf);
  }

  /**
   * Writes a whole command line immediately, ahead of the queue, without waiting for a reply
   * (stop commands that must reach the controller while a move command is still in flight).
   * Whatever it answers is stale for the queue, so the link is marked for purge + re-identify.
   */
  async sendUrgentLine(line: string): Promise<void> {
    if (this.closedReason !== null) throw this.disconnectedError(line);
    this.note('out', line);
    await this.link.write(Buffer.from(line + this.protocol.writeTerminator, 'latin1'));
    this.markDirty(`urgent command "${line}" was sent outside the queue`);
  }

  /**
   * Ends whatever partial line is in the device's input buffer (line noise, another protocol's
   * probe). Whatever the device answers is unexpected, so the next command purges and
   * re-identifies first.
   */
  async clearDeviceLine(maxWaitMs = 300): Promise<void> {
    const before = this.bytesReceived;
    await this.sendRealtime(this.protocol.writeTerminator);
    // Wait for whatever the device says to that, until the line has been quiet for a moment.
    const deadline = Date.now() + Math.min(maxWaitMs, this.protocol.defaultTimeoutMs);
    let seen = before;
    let quietSince = Date.now();
    while (Date.now() < deadline) {
      await delay(15);
      if (this.bytesReceived !== seen) {
        seen = this.bytesReceived;
        quietSince = Date.now();
      } else if (seen !== before && Date.now() - quietSince >= Math.min(50, maxWaitMs / 3)) {
        break;
      }
    }
    // Resynchronised: the answer to the bare terminator is not anyone's reply.
    this.framer.clear();
    this.dirtyReason = null;
  }

  onPush(listener: (line: string) => void): () => void {
    this.pushListeners.push(listener);
    return () => {
      const i = this.pushListeners.indexOf(listener);
      if (i >= 0) this.pushListeners.splice(i, 1);
    };
  }

  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.push(listener);
    return () => {
      const i = this.closeListeners.indexOf(listener);
      if (i >= 0) this.closeListeners.splice(i, 1);
    };
  }

  /** Forces a purge + re-identify before the next command. */
  markDirty(reason: string): void {
    this.dirtyReason ??= reason;
  }

  isDirty(): boolean {
    return this.dirtyReason !== null;
  }

  /** The last few hundred lines in both directions, for error reports. */
  traffic(): TrafficEntry[] {
    return [...this.trafficLog];
  }

  async close(): Promise<void> {
    this.onLinkClosed('the connection was closed by the application');
    await this.link.close();
  }

  // ---- internals ----

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && this.inFlight === null) {
        const next = this.queue.shift()!;
        if (this.closedReason !== null) {
          next.reject(this.disconnectedError(next.command.line));
          continue;
        }
        try {
          if (this.dirtyReason !== null) await this.recover();
          next.resolve(await this.execute(next.command));
        } catch (err) {
          next.reject(asHardwareError(err));
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Purge and re-identify after anything that may have left stale bytes in flight. */
  private async recover(): Promise<void> {
    const reason = this.dirtyReason;
    this.note('note', `recovering: ${reason}`);
    // Let a late reply finish arriving, then throw it away.
    await delay(Math.min(100, this.protocol.defaultTimeoutMs / 4));
    this.framer.clear();
    await this.link.purgeInput();
    try {
      await this.execute(this.protocol.identify());
      this.dirtyReason = null;
    } catch (err) {
      const e = asHardwareError(err);
      if (e.kind === 'disconnected') throw e;
      throw new HardwareError(
        'protocol',
        `The ${this.protocol.name} controller on ${this.link.description} did not identify itself after ${reason}: ${e.message}`,
        { cause: e.kind },
      );
    }
  }

  private execute<T>(command: Command<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = async () => {
        if (this.protocol.purgeBeforeCommand) {
          this.framer.clear();
          await this.link.purgeInput();
        }
        if (this.closedReason !== null) throw this.disconnectedError(command.line);
        this.note('out', command.line);
        if (!command.collect) {
          await this.link.write(Buffer.from(command.line + this.protocol.writeTerminator, 'latin1'));
          resolve(undefined as T);
          return;
        }
        this.inFlight = { command: command as Command<unknown>, resolve: resolve as (v: unknown) => void, reject };
        const timeoutMs =
          command.timeoutMs ?? (command.isMove ? this.protocol.moveTimeoutMs : this.protocol.defaultTimeoutMs);
        this.timer = setTimeout(() => this.onTimeout(timeoutMs), timeoutMs);
        this.watchPresence();
        await this.link.write(Buffer.from(command.line + this.protocol.writeTerminator, 'latin1'));
        // A reply may already be waiting (fast device): process it now.
        this.drain();
      };
      start().catch((err) => {
        this.finish();
        reject(asHardwareError(err));
      });
    });
  }

  private onBytes(text: string): void {
    this.bytesReceived += text.length;
    this.framer.push(text);
    this.drain();
  }

  private drain(): void {
    for (;;) {
      const pending = this.inFlight;
      if (pending?.command.replyChars) {
        const chars = this.framer.takeChars(pending.command.replyChars);
        if (chars === null) return;
        this.deliver(chars);
        continue;
      }
      const line = this.framer.nextLine();
      if (line === null) return;
      this.deliver(line);
    }
  }

  private deliver(line: string): void {
    if (this.protocol.isPush(line)) {
      this.note('push', line);
      for (const l of [...this.pushListeners]) l(line);
      return;
    }
    const pending = this.inFlight;
    if (!pending || !pending.command.collect) {
      this.note('unexpected', line);
      this.markDirty(`an unexpected reply "${printable(line)}"`);
      return;
    }
    this.note('in', line);
    const deviceError = this.protocol.parseError(line, pending.command.line);
    if (deviceError) {
      this.finish();
      pending.reject(deviceError);
      return;
    }
    try {
      const step = pending.command.collect(line);
      if (step.done) {
        this.finish();
        pending.resolve(step.value);
      }
    } catch (err) {
      const e = asHardwareError(err);
      if (e.kind === 'protocol') this.markDirty(`a reply that could not be read ("${printable(line)}")`);
      this.finish();
      pending.reject(e);
    }
  }

  private onTimeout(timeoutMs: number): void {
    const pending = this.inFlight;
    if (!pending) return;
    if (!this.checkPresence()) return;
    this.finish();
    this.markDirty(`a timeout on "${pending.command.line}"`);
    pending.reject(
      new HardwareError(
        'timeout',
        `The ${this.protocol.name} controller on ${this.link.description} did not answer "${pending.command.line}" within ${timeoutMs} ms`,
        { command: pending.command.line, timeoutMs },
      ),
    );
    void this.pump();
  }

  private finish(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.presenceTimer) clearInterval(this.presenceTimer);
    this.timer = null;
    this.presenceTimer = null;
    this.inFlight = null;
  }

  /**
   * Hang-ups are not always reported by the port itself (a pseudo-terminal whose other side died
   * can stay silently open), so while waiting for a reply we also watch the device path.
   */
  private watchPresence(): void {
    if (!this.link.isPresent) return;
    this.presenceTimer = setInterval(() => this.checkPresence(), PRESENCE_CHECK_MS);
  }

  /** Closes the transport when the device path has vanished; returns false then. */
  checkPresence(): boolean {
    if (this.closedReason !== null) return false;
    if (!this.link.isPresent || this.link.isPresent()) return true;
    const reason = `the device ${this.link.description} disappeared`;
    if (this.link.abandon) this.link.abandon(reason);
    else this.onLinkClosed(reason);
    return false;
  }

  private onLinkClosed(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.note('note', `closed: ${reason}`);
    const pending = this.inFlight;
    this.finish();
    if (pending) pending.reject(this.disconnectedError(pending.command.line));
    for (const p of this.queue.splice(0)) p.reject(this.disconnectedError(p.command.line));
    for (const l of [...this.closeListeners]) l(reason);
  }

  private disconnectedError(command: string): HardwareError {
    return new HardwareError(
      'disconnected',
      `The ${this.protocol.name} controller on ${this.link.description} is not connected (${this.closedReason ?? 'closed'}); "${command}" was not completed`,
      { command },
    );
  }

  private note(dir: TrafficEntry['dir'], text: string): void {
    this.trafficLog.push({ at: Date.now(), dir, text: printable(text) });
    if (this.trafficLog.length > TRAFFIC_KEPT) this.trafficLog.splice(0, this.trafficLog.length - TRAFFIC_KEPT);
  }
}

export function asHardwareError(err: unknown): HardwareError {
  if (err instanceof HardwareError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new HardwareError('protocol', message);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
