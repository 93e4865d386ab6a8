import { describe, expect, it } from 'vitest';
import { HardwareError } from '../../../src/hardware/types';
import { LineTransport } from '../../../src/hardware/serial/transport';
import { asiProtocol, colonA, colonANumbers } from '../../../src/hardware/serial/protocols/asi';
import { grblOk, grblProtocol } from '../../../src/hardware/serial/protocols/grbl';
import { ludlProtocol, ludlStatus } from '../../../src/hardware/serial/protocols/ludl';
import { recordingLink, sentLines, until } from './helpers';

const fast = { ...asiProtocol, defaultTimeoutMs: 80 };

describe('LineTransport', () => {
  it('keeps one command in flight and answers in FIFO order', async () => {
    const link = recordingLink();
    const t = new LineTransport(link, fast);
    const first = t.request(colonANumbers('W Z', 1));
    const second = t.request(colonA('M Z=10'));
    await until(() => sentLines(link).length === 1);
    // The second command waits until the first is answered.
    await new Promise((r) => setTimeout(r, 20));
    expect(sentLines(link)).toEqual(['W Z']);
    link.receive(':A 123 \r\n');
    expect(await first).toEqual([123]);
    await until(() => sentLines(link).length === 2);
    expect(sentLines(link)).toEqual(['W Z', 'M Z=10']);
    link.receive(':A\r\n');
    await second;
  });

  it('turns an error reply into a device error with its code', async () => {
    const link = recordingLink();
    const t = new LineTransport(link, fast);
    const p = t.request(colonA('M Z=99999999'));
    await until(() => sentLines(link).length === 1);
    link.receive(':N-4\r\n');
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HardwareError);
    expect((err as HardwareError).kind).toBe('device');
    expect((err as HardwareError).details?.code).toBe(4);
    expect((err as HardwareError).message).toMatch(/parameter out of range/);
  });

  it('times out, then purges and re-identifies before the next command', async () => {
    const link = recordingLink();
    const t = new LineTransport(link, fast);
    const err = await t.request(colonA('M Z=5')).catch((e: unknown) => e);
    expect((err as HardwareError).kind).toBe('timeout');
    // A late reply to the timed-out move must not be taken as the answer to the next command.
    link.receive(':A\r\n');
    const next = t.request(colonANumbers('W Z', 1));
    await until(() => sentLines(link).includes('V'), 1000, 'identify');
    link.receive(':A Version: USB-9.2p \r\n');
    await until(() => sentLines(link).length === 3);
    expect(sentLines(link)).toEqual(['M Z=5', 'V', 'W Z']);
    link.receive(':A 50\r\n');
    expect(await next).toEqual([50]);
    expect(t.isDirty()).toBe(false);
  });

  it('fails the command with a protocol error when the controller does not re-identify', async () => {
    const link = recordingLink();
    const t = new LineTransport(link, fast);
    link.receive('surprise\r\n');
    await until(() => t.isDirty());
    const p = t.request(colonANumbers('W Z', 1));
    await until(() => sentLines(link).includes('V'), 1000);
    link.receive('garbage\r\n');
    const err = (await p.catch((e: unknown) => e)) as HardwareError;
    expect(err.kind).toBe('protocol');
    expect(err.message).toMatch(/did not identify itself/);
    // The command itself was never sent.
    expect(sentLines(link)).not.toContain('W Z');
  });

  it('marks the link dirty after a reply it cannot read', async () => {
    const link = recordingLink();
    const t = new LineTransport(link, fast);
    const p = t.request(colonANumbers('W Z', 1));
    await until(() => sentLines(link).length === 1);
    link.receive('\x07#%@\r\n');
    expect(((await p.catch((e: unknown) => e)) as HardwareError).kind).toBe('protocol');
    expect(t.isDirty()).toBe(true);
  });

  it('sends realtime bytes ahead of the queue and routes status reports to push listeners', async () => {
    const link = recordingLink();
    const t = new LineTransport(link, { ...grblProtocol, defaultTimeoutMs: 500 });
    const pushes: string[] = [];
    t.onPush((l) => pushes.push(l));
    const jog = t.request(grblOk('$J=G90 G21 Z1.0000 F100'));
    await until(() => link.writtenText().includes('$J='));
    await t.sendRealtime('?');
    expect(link.writtenText().endsWith('?')).toBe(true);
    // The status report arrives before the ok and must not be taken as the reply.
    link.receive('<Jog|MPos:0.000,0.000,0.500|FS:100,0>\r\nok\r\n');
    await jog;
    expect(pushes).toEqual(['<Jog|MPos:0.000,0.000,0.500|FS:100,0>']);
  });

  it('fails every pending command with "disconnected" when the port closes', async () => {
    const link = recordingLink();
    const t = new LineTransport(link, fast);
    const a = t.request({ ...colonA('M Z=5'), timeoutMs: 5000 });
    const b = t.request(colonANumbers('W Z', 1));
    await until(() => sentLines(link).length === 1);
    link.drop();
    const errors = (await Promise.all([a.catch((e) => e), b.catch((e) => e)])) as HardwareError[];
    expect(errors.map((e) => e.kind)).toEqual(['disconnected', 'disconnected']);
    expect(sentLines(link)).toEqual(['M Z=5']);
    const later = (await t.request(colonA('M Z=1')).catch((e) => e)) as HardwareError;
    expect(later.kind).toBe('disconnected');
    expect(sentLines(link)).toEqual(['M Z=5']);
  });

  it('closes cleanly: pending commands fail, the link is closed', async () => {
    const link = recordingLink();
    const t = new LineTransport(link, fast);
    const a = t.request({ ...colonA('M Z=5'), timeoutMs: 5000 });
    await until(() => sentLines(link).length === 1);
    await t.close();
    expect(((await a.catch((e) => e)) as HardwareError).kind).toBe('disconnected');
    expect(link.isOpen()).toBe(false);
    expect(t.isOpen()).toBe(false);
  });

  it('reads terminator-less single-character replies (Ludl STATUS)', async () => {
    const link = recordingLink();
    const t = new LineTransport(link, { ...ludlProtocol, defaultTimeoutMs: 200 });
    const p = t.request(ludlStatus('Z'));
    await until(() => link.writtenText().includes('STATUS Z\r'));
    link.receive('B');
    expect(await p).toBe(true);
    const q = t.request(ludlStatus('Z'));
    await until(() => link.writtenText().split('STATUS Z').length === 3);
    link.receive('N');
    expect(await q).toBe(false);
  });
});
