/**
 * What the line transport needs to know about one controller's protocol, and the shape of one command.
 * Each controller has its own file under protocols/ with its framing, error replies and identify command.
 */
import { HardwareError } from '../types';

export type ProtocolName = 'grbl' | 'sangaboard' | 'prior' | 'asi' | 'tango' | 'ludl';
export const PROTOCOL_NAMES: readonly ProtocolName[] = ['grbl', 'sangaboard', 'prior', 'asi', 'tango', 'ludl'];

export type ReadTerminator = '\r' | '\n' | '\r\n';

/** Feeds reply lines to a command until it has its answer. Throw a HardwareError to fail the command. */
export type ReplyCollector<T> = (line: string) => { done: true; value: T } | { done: false };

export interface Command<T> {
  /** The command text, without its terminator. */
  line: string;
  /** Overrides the protocol default (moves use the protocol's longer move timeout when isMove is set). */
  timeoutMs?: number;
  isMove?: boolean;
  /** Absent: the controller sends nothing back, the command completes once written (Tango "!" commands). */
  collect?: ReplyCollector<T>;
  /** The reply is this many characters with no terminator (Ludl STATUS answers a bare B or N). */
  replyChars?: number;
}

export interface LineProtocol {
  readonly name: ProtocolName;
  readonly writeTerminator: '\r' | '\n';
  readonly readTerminator: ReadTerminator;
  readonly defaultBaud: number;
  readonly stopBits: 1 | 2;
  readonly defaultTimeoutMs: number;
  readonly moveTimeoutMs: number;
  /** Whether input is purged before every command (GRBL: no, its realtime status reports interleave). */
  readonly purgeBeforeCommand: boolean;
  /**
   * Arduino-based boards (GRBL, Sangaboard) reset when DTR rises; keeping DTR up after close
   * (hupcl off) means only the first open resets them, not every reconnect or CLI call.
   */
  readonly keepDtrOnClose?: boolean;
  /** Bytes written once after the port opens, before identify (Ludl: switch to the high-level command set). */
  readonly preamble?: Buffer;
  /** Lines the controller sends on its own (status reports, alarms, banners), never a reply. */
  isPush(line: string): boolean;
  /** A device error reply to `command`, or null when the line is not an error. */
  parseError(line: string, command: string): HardwareError | null;
  /** The command that tells us which controller is on the port; resolves with its identity text. */
  identify(): Command<string>;
}

/** A collector that takes the first line as the whole answer. */
export function singleLine<T = string>(parse?: (line: string) => T): ReplyCollector<T> {
  return (line) => ({ done: true, value: parse ? parse(line) : (line as unknown as T) });
}

/** A collector for commands acknowledged by one exact token (e.g. "ok", ":A", "R"). */
export function expectToken(token: string | RegExp, what: string): ReplyCollector<string> {
  return (line) => {
    const ok = typeof token === 'string' ? line.trim() === token : token.test(line.trim());
    if (!ok) throw protocolError(`expected ${what} but the controller answered "${printable(line)}"`);
    return { done: true, value: line };
  };
}

export function protocolError(message: string, details?: Record<string, unknown>): HardwareError {
  return new HardwareError('protocol', message, details);
}

/** Parses a finite number out of a reply, or fails with a protocol error naming the command. */
export function parseNumber(text: string, what: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw protocolError(`could not read ${what} from the reply "${printable(text)}"`);
  }
  return value;
}

/** Makes control characters visible in messages. */
export function printable(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    out += code < 0x20 || (code >= 0x7f && code <= 0xff) ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}
