import { describe, expect, it } from 'vitest';
import { LineFramer } from '../../../src/hardware/serial/framing';

describe('LineFramer', () => {
  it('splits CR-terminated replies (Prior, Tango) and waits for a complete line', () => {
    const f = new LineFramer('\r');
    f.push('123\r45');
    expect(f.nextLine()).toBe('123');
    expect(f.nextLine()).toBeNull();
    f.push('6\r');
    expect(f.nextLine()).toBe('456');
  });

  it('splits CRLF replies even when the CR and LF arrive apart (GRBL, ASI)', () => {
    const f = new LineFramer('\r\n');
    f.push('ok\r');
    expect(f.nextLine()).toBeNull();
    f.push('\nerror:9\r\n');
    expect(f.nextLine()).toBe('ok');
    expect(f.nextLine()).toBe('error:9');
  });

  it('splits LF replies and drops empty lines (Ludl)', () => {
    const f = new LineFramer('\n');
    f.push(':A 12\r\n\r\n:A\n');
    expect(f.nextLine()).toBe(':A 12');
    expect(f.nextLine()).toBe(':A');
    expect(f.nextLine()).toBeNull();
  });

  it('takes fixed-length replies after stray line ends', () => {
    const f = new LineFramer('\n');
    f.push('\r\nB');
    expect(f.takeChars(1)).toBe('B');
    expect(f.takeChars(1)).toBeNull();
  });
});
