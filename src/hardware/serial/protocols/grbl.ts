/**
 * GRBL 1.1: lines end "\n", replies "ok" / "error:N", realtime '?' answers a status report
 * "<Idle|MPos:x,y,z|FS:0,0>" outside the line queue. Units are mm; jogs need a feed rate.
 * Checked against the GRBL 1.1 interface documentation (gnea/grbl wiki) and cncjs' Grbl controller.
 */
import { HardwareError } from '../../types';
import { printable, protocolError, type Command, type LineProtocol } from '../protocol';

export const GRBL_REALTIME = {
  status: '?',
  feedHold: '!',
  cycleStart: '~',
  jogCancel: '\x85',
  softReset: '\x18',
} as const;

const ERRORS: Record<number, string> = {
  1: 'G-code words consist of a letter and a value; letter was not found',
  2: 'numeric value format is not valid',
  3: "'$' system command was not recognized",
  8: "'$' command only valid when Idle",
  9: 'G-code locked out during alarm or jog state',
  15: 'jog target exceeds machine travel',
  16: 'jog command has no "=" or contains prohibited g-code',
  20: 'unsupported or invalid g-code command',
  22: 'feed rate has not yet been set or is undefined',
};

export const GRBL_ALARMS: Record<number, string> = {
  1: 'hard limit triggered',
  2: 'soft limit: motion target exceeds machine travel',
  3: 'reset while in motion; position may be lost',
  6: 'homing fail: reset during the homing cycle',
  8: 'homing fail: could not clear the limit switch',
  9: 'homing fail: could not find the limit switch',
};

export const grblProtocol: LineProtocol = {
  name: 'grbl',
  writeTerminator: '\n',
  readTerminator: '\r\n',
  defaultBaud: 115200,
  stopBits: 1,
  defaultTimeoutMs: 1000,
  moveTimeoutMs: 60_000,
  keepDtrOnClose: true,
  purgeBeforeCommand: false,
  isPush: (line) => /^(<|ALARM:|\[MSG:|\[echo:|Grbl )/.test(line),
  parseError(line, command) {
    const m = /^error:(\d+)/.exec(line);
    if (!m) return null;
    const code = Number(m[1]);
    return new HardwareError(
      'device',
      `GRBL rejected "${command}": error ${code} (${ERRORS[code] ?? 'see the GRBL error codes'})`,
      {
        code,
        command,
      },
    );
  },
  identify: grblIdentify,
};

/** "$I" answers "[VER:1.1h.20190825:]", "[OPT:...]", then "ok". */
function grblIdentify(): Command<string> {
  let version: string | null = null;
  return {
    line: '$I',
    timeoutMs: 1500,
    collect(line) {
      if (line.startsWith('[VER:')) version = line;
      if (line === 'ok') {
        if (!version) throw protocolError('GRBL answered "$I" without a [VER:...] line');
        return { done: true, value: version };
      }
      return { done: false };
    },
  };
}

/** A command acknowledged by "ok". */
export function grblOk(line: string, timeoutMs?: number): Command<void> {
  return {
    line,
    timeoutMs,
    collect(reply) {
      if (reply === 'ok') return { done: true, value: undefined };
      throw protocolError(`GRBL answered "${printable(reply)}" to "${line}" instead of ok`);
    },
  };
}

export interface GrblStatus {
  state: string;
  /** Work position (mm) when it can be known from the report. */
  wpos: [number, number, number] | null;
  mpos: [number, number, number] | null;
  wco: [number, number, number] | null;
}

/** Parses "<Idle|MPos:0.000,0.000,1.250|FS:0,0|WCO:0.000,0.000,0.000>". */
export function parseGrblStatus(line: string): GrblStatus {
  const m = /^<([^>]*)>$/.exec(line.trim());
  if (!m) throw protocolError(`not a GRBL status report: "${printable(line)}"`);
  const fields = m[1].split('|');
  const state = fields[0].split(':')[0];
  const triple = (name: string): [number, number, number] | null => {
    const f = fields.find((x) => x.startsWith(name + ':'));
    if (!f) return null;
    const v = f
      .slice(name.length + 1)
      .split(',')
      .map(Number);
    if (v.length < 3 || v.some((n) => !Number.isFinite(n))) throw protocolError(`bad ${name} in GRBL status "${line}"`);
    return [v[0], v[1], v[2]];
  };
  return { state, mpos: triple('MPos'), wpos: triple('WPos'), wco: triple('WCO') };
}

/** Jog to an absolute work position (mm), one axis or XY; feed in mm/min. */
export function grblJogTo(axes: { x?: number; y?: number; z?: number }, feedMmPerMin: number): string {
  const words = (['x', 'y', 'z'] as const)
    .filter((a) => axes[a] !== undefined)
    .map((a) => `${a.toUpperCase()}${formatMm(axes[a]!)}`);
  return `$J=G90 G21 ${words.join(' ')} F${Math.round(feedMmPerMin)}`;
}

export function formatMm(mm: number): string {
  return mm.toFixed(4);
}
