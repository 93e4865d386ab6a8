/**
 * Marzhauser Tango: CR both ways (57600 baud common; set by the unit). "!" commands set things
 * and answer nothing; "?" commands answer one line. After "!dim z 1" positions are in um.
 * Errors are read with "?err" (0 = none). "?statusaxis" gives one character per axis
 * (x y z a), 'M' while moving; "a z" aborts Z. Checked against Micro-Manager's Marzhauser adapter.
 */
import { HardwareError } from '../../types';
import { parseNumber, printable, protocolError, type Command, type LineProtocol } from '../protocol';

const ERRORS: Record<number, string> = {
  1: 'no valid axis name',
  2: 'no executable instruction',
  3: 'too many characters in the command line',
  4: 'invalid instruction',
  5: 'number out of the valid range',
  6: 'wrong number of parameters',
  7: 'either ! or ? is missing',
  8: 'no TVR possible while the axis is active',
  9: 'no switching on or off of axes possible while TVR is active',
  10: 'function not configured',
  11: 'no move instruction possible while the joystick is enabled',
  12: 'limit switch active',
  13: 'function not executable because an encoder was detected',
};

export const tangoProtocol: LineProtocol = {
  name: 'tango',
  writeTerminator: '\r',
  readTerminator: '\r',
  defaultBaud: 57600,
  stopBits: 1,
  defaultTimeoutMs: 1000,
  moveTimeoutMs: 60_000,
  purgeBeforeCommand: true,
  isPush: () => false,
  parseError: () => null,
  identify: () => ({
    line: '?version',
    collect(line) {
      if (/TANGO/i.test(line)) return { done: true, value: line.trim() };
      throw protocolError(`"?version" was answered by "${printable(line)}", not a Marzhauser Tango`);
    },
  }),
};

/** A "!" setting command: no reply. */
export function tangoSet(line: string): Command<void> {
  return { line };
}

export function tangoQuery(line: string): Command<string> {
  return { line, collect: (reply) => ({ done: true, value: reply.trim() }) };
}

export function tangoNumber(line: string, what: string): Command<number> {
  return { line, collect: (reply) => ({ done: true, value: parseNumber(reply.trim().split(/\s+/)[0], what) }) };
}

/** Turns a non-zero "?err" answer into a device error naming the command it follows. */
export function tangoErrorFor(code: number, command: string): HardwareError | null {
  if (code === 0) return null;
  return new HardwareError(
    'device',
    `The Tango rejected "${command}": error ${code} (${ERRORS[code] ?? 'see the Tango manual'})`,
    {
      code,
      command,
    },
  );
}

export function formatTango(um: number): string {
  return String(Number(um.toFixed(4)));
}
