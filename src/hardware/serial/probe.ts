/**
 * Which controller answers on a port? Tries each protocol's identify command at its default baud
 * with a short timeout, one protocol at a time, and closes the port between tries.
 * Arduino-based boards (GRBL, Sangaboard) reset when the port opens, so they get a longer wait.
 */
import { openSerialLink } from './link';
import type { LinkOpener } from './drivers/base';
import { PROTOCOL_NAMES, type LineProtocol, type ProtocolName } from './protocol';
import { asiProtocol } from './protocols/asi';
import { grblProtocol } from './protocols/grbl';
import { ludlProtocol } from './protocols/ludl';
import { priorProtocol } from './protocols/prior';
import { sangaboardProtocol } from './protocols/sangaboard';
import { tangoProtocol } from './protocols/tango';
import { asHardwareError, LineTransport } from './transport';

export const PROTOCOLS: Record<ProtocolName, LineProtocol> = {
  grbl: grblProtocol,
  sangaboard: sangaboardProtocol,
  prior: priorProtocol,
  asi: asiProtocol,
  tango: tangoProtocol,
  ludl: ludlProtocol,
};

const BOOT_WAIT_MS: Partial<Record<ProtocolName, number>> = { grbl: 2500, sangaboard: 2500 };

export interface ProbeAttempt {
  protocol: ProtocolName;
  baud: number;
  ok: boolean;
  detail: string;
}

export interface ProbeResult {
  port: string;
  found: { protocol: ProtocolName; baud: number; identity: string } | null;
  attempts: ProbeAttempt[];
}

export interface ProbeOptions {
  protocols?: ProtocolName[];
  /** Reply timeout per try (ms); Arduino boards get at least their boot time. */
  timeoutMs?: number;
  /** Overrides the Arduino boot wait (ms); emulators answer at once. */
  bootWaitMs?: number;
  openLink?: LinkOpener;
}

export async function probePort(port: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const attempts: ProbeAttempt[] = [];
  for (const name of options.protocols ?? PROTOCOL_NAMES) {
    const protocol = PROTOCOLS[name];
    const timeoutMs = Math.max(options.timeoutMs ?? 500, options.bootWaitMs ?? BOOT_WAIT_MS[name] ?? 0);
    const attempt = await tryIdentify(
      port,
      { ...protocol, defaultTimeoutMs: timeoutMs },
      options.openLink ?? openSerialLink,
    );
    attempts.push(attempt.result);
    if (attempt.result.ok) {
      return { port, found: { protocol: name, baud: protocol.defaultBaud, identity: attempt.identity }, attempts };
    }
  }
  return { port, found: null, attempts };
}

async function tryIdentify(
  port: string,
  protocol: LineProtocol,
  open: LinkOpener,
): Promise<{ result: ProbeAttempt; identity: string }> {
  const base = { protocol: protocol.name, baud: protocol.defaultBaud };
  let transport: LineTransport | null = null;
  try {
    const link = await open({
      path: port,
      baudRate: protocol.defaultBaud,
      stopBits: protocol.stopBits,
      hupcl: !protocol.keepDtrOnClose,
    });
    transport = new LineTransport(link, protocol);
    if (protocol.preamble) await transport.sendRealtime(protocol.preamble);
    await transport.clearDeviceLine();
    const identity = await transport.request(protocol.identify());
    return { result: { ...base, ok: true, detail: identity }, identity };
  } catch (err) {
    const e = asHardwareError(err);
    return { result: { ...base, ok: false, detail: `${e.kind}: ${e.message}` }, identity: '' };
  } finally {
    await transport?.close().catch(() => undefined);
  }
}
