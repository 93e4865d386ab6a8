/**
 * OpenFlexure Sangaboard: 115200 baud, "\n", positions in motor steps, relative moves only
 * ("mrz <steps>", "mr <x> <y> <z>"), "p?" -> "x y z", "moving?" -> true/false once
 * "blocking_moves false" is set. Command names follow the openflexure sangaboard Python client;
 * the exact acknowledgement texts vary between firmware versions, so any non-error line is taken
 * as the acknowledgement.
 */
import { HardwareError } from '../../types';
import { printable, protocolError, type Command, type LineProtocol } from '../protocol';

const ERROR_LINE = /^(error|unrecogni[sz]ed|unknown command|invalid|type\s*'?help)/i;

export const sangaboardProtocol: LineProtocol = {
  name: 'sangaboard',
  writeTerminator: '\n',
  readTerminator: '\r\n',
  defaultBaud: 115200,
  stopBits: 1,
  defaultTimeoutMs: 1000,
  moveTimeoutMs: 120_000,
  keepDtrOnClose: true,
  purgeBeforeCommand: true,
  isPush: (line) => line.startsWith('#'),
  parseError(line, command) {
    if (!ERROR_LINE.test(line)) return null;
    return new HardwareError('device', `The Sangaboard rejected "${command}": ${line}`, { command });
  },
  identify: () => ({
    line: 'version',
    collect(line) {
      if (/sangaboard|openflexure/i.test(line)) return { done: true, value: line };
      throw protocolError(`"version" was answered by "${printable(line)}", not a Sangaboard`);
    },
  }),
};

/** Any single non-error line acknowledges the command. */
export function sangaboardAck(line: string, isMove = false): Command<string> {
  return { line, isMove, collect: (reply) => ({ done: true, value: reply }) };
}

/** "p?" -> "x y z" in steps. */
export function parseSangaboardPosition(line: string): [number, number, number] {
  const parts = line.trim().split(/\s+/).map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n))) {
    throw protocolError(`could not read a Sangaboard position from "${printable(line)}"`);
  }
  return [parts[0], parts[1], parts[2]];
}

export function parseSangaboardMoving(line: string): boolean {
  const t = line.trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw protocolError(`"moving?" answered "${printable(line)}" instead of true/false`);
}
