/**
 * The protocol-independent part of a fake controller: it reads command lines from a byte link
 * (a pseudo-terminal end or an in-memory link), keeps the log of everything received, simulates
 * motion on three axes and injects faults. Each protocol file supplies the dialect.
 */
import type { ByteLink } from '../serial/link';
import { openSerialLink } from '../serial/link';
import type { ProtocolName } from '../serial/protocol';
import { MotionAxis } from './motion';

export interface EmulatorOptions {
  /** Motion speed in um/s (Infinity: instant moves). */
  speedUmPerS?: number;
  /** Native units per um of the emulated controller (defaults per protocol). */
  nativePerUm?: number;
  /** Initial positions in um. */
  initialUm?: { x?: number; y?: number; z?: number };
  /** How to drop the connection when a fault asks for it (tests: kill socat). Default: close our end. */
  onDrop?: () => void;
}

export interface EmulatorContext {
  readonly axes: { x: MotionAxis; y: MotionAxis; z: MotionAxis };
  readonly nativePerUm: number;
  /** Sends text followed by the protocol's reply terminator. */
  reply(text: string): void;
  /** Sends text as is (bare single-character answers). */
  replyRaw(text: string): void;
  /** Starts a move; the drop-mid-move fault hooks in here. Returns the move duration (ms). */
  startMove(axis: MotionAxis, targetNative: number, onEnd?: () => void): number;
}

export interface ProtocolEmulation {
  readonly protocol: ProtocolName;
  readonly defaultNativePerUm: number;
  /** Splits incoming bytes into commands. */
  readonly inputTerminator: '\r' | '\n';
  readonly replyTerminator: string;
  /** Handles a byte the moment it arrives (GRBL realtime); returns true when it was consumed. */
  realtime?(byte: number, ctx: EmulatorContext): boolean;
  handle(line: string, ctx: EmulatorContext): void;
  /** The controller's error reply, used for injected errors. Null: the dialect reports errors otherwise. */
  errorReply(line: string, ctx: EmulatorContext): string | null;
}

export interface MoveRecord {
  axis: 'x' | 'y' | 'z';
  fromNative: number;
  toNative: number;
  at: number;
}

export class ControllerEmulator {
  /** Every command line received, in order (realtime bytes as "<0x85>"). */
  readonly received: string[] = [];
  /** Every move started, in native units. */
  readonly moves: MoveRecord[] = [];
  readonly axes: { x: MotionAxis; y: MotionAxis; z: MotionAxis };
  readonly nativePerUm: number;

  private link: ByteLink | null = null;
  private input = '';
  private silent = false;
  private failPattern: RegExp | null = null;
  private garbageNext = false;
  private dropMidMove: { afterMs: number } | null = null;
  private dropTimer: NodeJS.Timeout | null = null;
  private readonly ctx: EmulatorContext;

  constructor(
    readonly dialect: ProtocolEmulation,
    private readonly options: EmulatorOptions = {},
  ) {
    this.nativePerUm = options.nativePerUm ?? dialect.defaultNativePerUm;
    const speed = (options.speedUmPerS ?? 1000) * this.nativePerUm;
    const init = options.initialUm ?? {};
    this.axes = {
      x: new MotionAxis((init.x ?? 0) * this.nativePerUm, speed),
      y: new MotionAxis((init.y ?? 0) * this.nativePerUm, speed),
      z: new MotionAxis((init.z ?? 0) * this.nativePerUm, speed),
    };
    this.ctx = {
      axes: this.axes,
      nativePerUm: this.nativePerUm,
      reply: (text) => this.send(text + dialect.replyTerminator),
      replyRaw: (text) => this.send(text),
      startMove: (axis, target, onEnd) => this.startMove(axis, target, onEnd),
    };
  }

  get protocol(): ProtocolName {
    return this.dialect.protocol;
  }

  /** Serves the controller on a serial device path (one end of a socat pair). */
  async attachPort(path: string): Promise<void> {
    this.attachLink(await openSerialLink({ path, baudRate: 115200 }));
  }

  attachLink(link: ByteLink): void {
    this.link = link;
    this.input = '';
    link.onData((chunk) => this.onBytes(chunk));
    link.onClose(() => {
      if (this.link === link) this.link = null;
    });
  }

  isAttached(): boolean {
    return this.link?.isOpen() ?? false;
  }

  positionUm(axis: 'x' | 'y' | 'z' = 'z'): number {
    return this.axes[axis].position() / this.nativePerUm;
  }

  // ---- fault injection ----

  /** Stops answering (commands are still logged) until setSilent(false). */
  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  /** The next command matching `pattern` (default: any) gets the controller's error reply instead of running. */
  failNext(pattern: RegExp = /.*/): void {
    this.failPattern = pattern;
  }

  /** The next reply is replaced by bytes no controller would send. */
  answerGarbageNext(): void {
    this.garbageNext = true;
  }

  /** The next move starts, then the connection drops after `afterMs` (default: half the move). */
  dropDuringNextMove(afterMs?: number): void {
    this.dropMidMove = { afterMs: afterMs ?? -1 };
  }

  /** Drops the connection now. */
  drop(): void {
    for (const a of Object.values(this.axes)) a.stop();
    if (this.options.onDrop) this.options.onDrop();
    else void this.link?.close();
    this.link = null;
  }

  async close(): Promise<void> {
    if (this.dropTimer) clearTimeout(this.dropTimer);
    for (const a of Object.values(this.axes)) a.stop();
    const link = this.link;
    this.link = null;
    await link?.close();
  }

  // ---- internals ----

  private onBytes(chunk: Buffer): void {
    for (const byte of chunk) {
      if (this.dialect.realtime) {
        const handled = this.silent ? this.isRealtimeByte(byte) : this.dialect.realtime(byte, this.ctx);
        if (handled) {
          this.received.push(`<0x${byte.toString(16).padStart(2, '0')}>`);
          continue;
        }
      }
      const ch = String.fromCharCode(byte);
      if (ch === this.dialect.inputTerminator) {
        const line = this.input.replace(/[\r\n]/g, '');
        this.input = '';
        this.onLine(line);
      } else {
        this.input += ch;
      }
    }
  }

  private isRealtimeByte(byte: number): boolean {
    // While silent the realtime bytes are still swallowed (not answered), as a hung controller would.
    return (
      this.dialect.protocol === 'grbl' &&
      (byte === 0x3f || byte === 0x85 || byte === 0x18 || byte === 0x21 || byte === 0x7e)
    );
  }

  private onLine(line: string): void {
    this.received.push(line);
    if (this.silent) return;
    if (this.failPattern && this.failPattern.test(line)) {
      this.failPattern = null;
      // The command is rejected, never executed (dialects without error replies record the error instead).
      const err = this.dialect.errorReply(line, this.ctx);
      if (err !== null) this.ctx.reply(err);
      return;
    }
    try {
      this.dialect.handle(line, this.ctx);
    } catch {
      // A malformed command must never kill the emulator: answer like the controller would.
      const err = this.dialect.errorReply(line, this.ctx);
      if (err !== null) this.ctx.reply(err);
    }
  }

  private startMove(axis: MotionAxis, target: number, onEnd?: () => void): number {
    const name = this.axisName(axis);
    this.moves.push({ axis: name, fromNative: axis.position(), toNative: target, at: Date.now() });
    const duration = axis.moveTo(target, onEnd);
    if (this.dropMidMove) {
      const after = this.dropMidMove.afterMs >= 0 ? this.dropMidMove.afterMs : duration / 2;
      this.dropMidMove = null;
      this.dropTimer = setTimeout(() => this.drop(), after);
    }
    return duration;
  }

  private axisName(axis: MotionAxis): 'x' | 'y' | 'z' {
    return axis === this.axes.x ? 'x' : axis === this.axes.y ? 'y' : 'z';
  }

  private send(text: string): void {
    const link = this.link;
    if (!link || !link.isOpen()) return;
    let out = text;
    if (this.garbageNext) {
      this.garbageNext = false;
      out = '\x07#%@garbage\xfe\xfd' + this.dialect.replyTerminator;
    }
    link.write(Buffer.from(out, 'latin1')).catch(() => undefined);
  }
}
