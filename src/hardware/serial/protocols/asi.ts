/**
 * ASI MS-2000: 9600 baud default, commands end CR, replies ":A ..." ending CRLF, errors ":N-<n>".
 * Positions in tenths of a micrometre. "M Z=<n>" absolute, "R Z=<n>" relative, "W Z" where,
 * "/" busy (B/N), "\" halt, "H Z" sets here = 0, "V" answers ":A Version: USB-9.2p".
 * Checked against Micro-Manager's ASIStage adapter (version reply format, "/" busy query).
 */
import { HardwareError } from '../../types';
import { parseNumber, printable, protocolError, type Command, type LineProtocol } from '../protocol';

const ERRORS: Record<number, string> = {
  1: 'unknown command',
  2: 'unrecognised axis parameter',
  3: 'missing parameters',
  4: 'parameter out of range',
  5: 'operation failed',
  6: 'undefined error',
  21: 'serial command halted by the HALT command',
};

/** Error replies shared by the ASI and Ludl dialects (":N-1", ":N -1"). */
export function colonNError(controller: string, errors: Record<number, string>) {
  return (line: string, command: string): HardwareError | null => {
    const m = /^:N\s*-?\s*(\d+)/.exec(line.trim());
    if (!m) return null;
    const code = Number(m[1]);
    return new HardwareError(
      'device',
      `The ${controller} rejected "${command}": :N-${code} (${errors[code] ?? 'see the manual'})`,
      {
        code,
        command,
      },
    );
  };
}

export const asiProtocol: LineProtocol = {
  name: 'asi',
  writeTerminator: '\r',
  readTerminator: '\r\n',
  defaultBaud: 9600,
  stopBits: 1,
  defaultTimeoutMs: 1000,
  moveTimeoutMs: 60_000,
  purgeBeforeCommand: true,
  isPush: () => false,
  parseError: colonNError('ASI controller', ERRORS),
  identify: () => ({
    line: 'V',
    collect(line) {
      if (/^:A\s*Version/i.test(line.trim())) return { done: true, value: line.trim() };
      throw protocolError(`"V" was answered by "${printable(line)}", not an ASI MS-2000`);
    },
  }),
};

/** Commands answered by ":A". */
export function colonA(line: string): Command<void> {
  return {
    line,
    collect(reply) {
      if (reply.trim().startsWith(':A')) return { done: true, value: undefined };
      throw protocolError(`expected :A after "${line}" but got "${printable(reply)}"`);
    },
  };
}

/** "W Z" / "WHERE Z Y" -> ":A 1234 5678". */
export function colonANumbers(line: string, count: number): Command<number[]> {
  return {
    line,
    collect(reply) {
      const m = /^:A\s*(.*)$/.exec(reply.trim());
      if (!m) throw protocolError(`expected ":A <position>" after "${line}" but got "${printable(reply)}"`);
      const values = m[1]
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((v) => parseNumber(v, 'a position'));
      if (values.length < count) throw protocolError(`"${line}" answered ${values.length} numbers, expected ${count}`);
      return { done: true, value: values.slice(0, count) };
    },
  };
}

/** "/" -> "B" (busy) or "N" (not busy). */
export function asiBusy(): Command<boolean> {
  return {
    line: '/',
    collect(reply) {
      const c = reply.trim()[0];
      if (c === 'B') return { done: true, value: true };
      if (c === 'N') return { done: true, value: false };
      throw protocolError(`"/" answered "${printable(reply)}" instead of B or N`);
    },
  };
}

export function formatAsi(value: number): string {
  return String(Number(value.toFixed(1)));
}
