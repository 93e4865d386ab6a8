/**
 * Ludl MAC 5000/6000 (high-level command set): 9600 baud, 2 stop bits, commands end CR,
 * replies end LF (":A ..." / ":N -<n>"). "MOVE Z=<n>", "MOVREL Z=<n>", "WHERE Z",
 * "STATUS Z" answers a bare "B" or "N", "HERE Z=0" sets the origin, "HALT" stops.
 * Checked against Micro-Manager's Ludl adapter (VER then ":A", WHERE parsing, 1-byte STATUS read).
 */
import { protocolError, printable, type Command, type LineProtocol } from '../protocol';
import { colonNError } from './asi';

const ERRORS: Record<number, string> = {
  1: 'unknown command',
  2: 'illegal point type or axis, or module not installed',
  3: 'not enough parameters',
  4: 'parameter out of range',
  21: 'process aborted by HALT',
};

export const ludlProtocol: LineProtocol = {
  name: 'ludl',
  writeTerminator: '\r',
  readTerminator: '\n',
  defaultBaud: 9600,
  stopBits: 2,
  defaultTimeoutMs: 1000,
  moveTimeoutMs: 60_000,
  purgeBeforeCommand: true,
  // 255, 65 selects the high-level command set (as Micro-Manager's adapter does at connect).
  preamble: Buffer.from([0xff, 0x41]),
  isPush: () => false,
  parseError: colonNError('Ludl MAC controller', ERRORS),
  identify: ludlIdentify,
};

/** "VER" answers a version line, then ":A". */
function ludlIdentify(): Command<string> {
  let version: string | null = null;
  return {
    line: 'VER',
    collect(line) {
      const t = line.trim();
      if (version === null) {
        if (t.startsWith(':')) throw protocolError(`"VER" was answered by "${printable(t)}", not a Ludl MAC`);
        version = t;
        return { done: false };
      }
      if (t.startsWith(':A')) return { done: true, value: version };
      throw protocolError(`"VER" was followed by "${printable(t)}" instead of :A`);
    },
  };
}

/** "STATUS Z" -> one character, B or N, with no terminator. */
export function ludlStatus(axis: string): Command<boolean> {
  return {
    line: `STATUS ${axis}`,
    replyChars: 1,
    collect(reply) {
      if (reply === 'B') return { done: true, value: true };
      if (reply === 'N') return { done: true, value: false };
      throw protocolError(`"STATUS ${axis}" answered "${printable(reply)}" instead of B or N`);
    },
  };
}
