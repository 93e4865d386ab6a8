/**
 * Prior ProScan II/III: 9600 baud, CR both ways, "E,<n>" errors. Z moves are relative
 * ("U,<steps>" up, "D,<steps>" down) and answer "R" when the move has ended; "PZ" reads the
 * position in steps and "RES,Z" the um per step; "$" is a motion bitmask (X=1, Y=2, Z=4).
 * Checked against Micro-Manager's Prior device adapter (ZStage: U/D, PZ, RES,Z, "$" & 4, COMP 0).
 */
import { HardwareError } from '../../types';
import { parseNumber, printable, protocolError, type Command, type LineProtocol } from '../protocol';

const ERRORS: Record<number, string> = {
  1: 'no stage fitted',
  2: 'not idle',
  3: 'no drive',
  4: 'string parse error',
  5: 'command not found',
  6: 'invalid shutter',
  8: 'value out of range',
};

export const PRIOR_Z_MOVING_BIT = 4;

export const priorProtocol: LineProtocol = {
  name: 'prior',
  writeTerminator: '\r',
  readTerminator: '\r',
  defaultBaud: 9600,
  stopBits: 1,
  defaultTimeoutMs: 1000,
  moveTimeoutMs: 60_000,
  purgeBeforeCommand: true,
  isPush: () => false,
  parseError(line, command) {
    const m = /^E,(\d+)/.exec(line.trim());
    if (!m) return null;
    const code = Number(m[1]);
    return new HardwareError(
      'device',
      `The ProScan rejected "${command}": E,${code} (${ERRORS[code] ?? 'see the ProScan manual'})`,
      {
        code,
        command,
      },
    );
  },
  identify: priorIdentify,
};

/** "?" answers several lines, the first "PROSCAN INFORMATION", the last "END". */
function priorIdentify(): Command<string> {
  const lines: string[] = [];
  return {
    line: '?',
    collect(line) {
      if (lines.length === 0 && !/PROSCAN/i.test(line)) {
        throw protocolError(`"?" was answered by "${printable(line)}", not a ProScan`);
      }
      lines.push(line);
      if (line.trim() === 'END') return { done: true, value: lines[0] };
      if (lines.length > 40) throw protocolError('the ProScan information block never ended');
      return { done: false };
    },
  };
}

export function priorNumber(line: string, what: string): Command<number> {
  return { line, collect: (reply) => ({ done: true, value: parseNumber(reply, what) }) };
}

/** Commands answered by "0" (COMP 0, PZ,0, settings). */
export function priorZeroAck(line: string): Command<void> {
  return {
    line,
    collect(reply) {
      if (reply.trim() === '0') return { done: true, value: undefined };
      throw protocolError(`expected 0 after "${line}" but the ProScan answered "${printable(reply)}"`);
    },
  };
}

/** Relative Z move; the "R" arrives when the move ends. */
export function priorMoveZ(deltaSteps: number): Command<void> {
  const line = deltaSteps >= 0 ? `U,${deltaSteps}` : `D,${-deltaSteps}`;
  return { line, isMove: true, collect: expectR(line) };
}

export function priorMoveXY(x: number, y: number): Command<void> {
  const line = `G,${x},${y}`;
  return { line, isMove: true, collect: expectR(line) };
}

function expectR(line: string) {
  return (reply: string) => {
    if (reply.trim() === 'R') return { done: true as const, value: undefined };
    throw protocolError(`expected R after "${line}" but the ProScan answered "${printable(reply)}"`);
  };
}

/** "PS" -> "x,y" in steps. */
export function parsePriorXY(line: string): { x: number; y: number } {
  const parts = line.split(',').map((s) => parseNumber(s, 'an XY position'));
  if (parts.length < 2) throw protocolError(`could not read an XY position from "${printable(line)}"`);
  return { x: parts[0], y: parts[1] };
}
