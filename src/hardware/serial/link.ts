/**
 * A byte link to a controller: the only thing the line transport needs from a serial port.
 * Real ports go through `serialport`; unit tests use a MemoryLink (memory-link.ts).
 */
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { HardwareError } from '../types';

export interface ByteLink {
  readonly description: string;
  isOpen(): boolean;
  write(data: Buffer): Promise<void>;
  /** Discard received bytes below the transport, where the link buffers any. */
  purgeInput(): Promise<void>;
  close(): Promise<void>;
  onData(listener: (chunk: Buffer) => void): void;
  /** Called once when the link goes away, whether we closed it or the other end did. */
  onClose(listener: (reason: string, expected: boolean) => void): void;
  /** False once the device is known to be gone (its path vanished); optional. */
  isPresent?(): boolean;
  /** Marks the link dead after a failure only the caller saw. */
  abandon?(reason: string): void;
}

export interface SerialLinkOptions {
  path: string;
  baudRate: number;
  stopBits?: 1 | 2;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  /** Drop DTR on close (default true). False keeps Arduino boards from resetting at every reconnect. */
  hupcl?: boolean;
}

/** Opens a real serial port (or a pseudo-terminal) and wraps it as a ByteLink. */
export async function openSerialLink(options: SerialLinkOptions): Promise<ByteLink> {
  const port = new SerialPort({
    path: options.path,
    baudRate: options.baudRate,
    stopBits: options.stopBits ?? 1,
    dataBits: options.dataBits ?? 8,
    parity: options.parity ?? 'none',
    hupcl: options.hupcl ?? true,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) => {
    port.open((err) => {
      if (!err) return resolve();
      reject(
        new HardwareError('disconnected', `Cannot open serial port ${options.path}: ${err.message}`, {
          path: options.path,
        }),
      );
    });
  });
  return new SerialPortLink(port, options.path);
}

class SerialPortLink implements ByteLink {
  private closing = false;
  private closeListeners: Array<(reason: string, expected: boolean) => void> = [];
  private closed = false;

  constructor(
    private readonly port: SerialPort,
    readonly description: string,
  ) {
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      const reason = err?.disconnected
        ? `the port ${description} went away (${err.message})`
        : `port ${description} closed`;
      this.emitClose(reason, this.closing);
    });
    // Read errors (EIO on a pty whose other side vanished) leave the port unusable: treat them as a close.
    port.on('error', (err: Error) => {
      if (!this.closed) this.emitClose(`serial error on ${description}: ${err.message}`, this.closing);
    });
  }

  isOpen(): boolean {
    return !this.closed && this.port.isOpen;
  }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.isOpen()) {
        reject(new HardwareError('disconnected', `Serial port ${this.description} is not open`));
        return;
      }
      this.port.write(data, (err) => {
        if (!err) return resolve();
        const e = new HardwareError('disconnected', `Write to ${this.description} failed: ${err.message}`);
        this.abandon(e.message);
        reject(e);
      });
    });
  }

  async purgeInput(): Promise<void> {
    // Deliberately not port.flush(): that is tcflush(TCIOFLUSH), which also throws away our own
    // output not yet read by the other side (on a pseudo-terminal even after tcdrain), e.g. a silent
    // Tango "!" command written just before. The port is read continuously, so received bytes are
    // already in the transport, which discards them itself before each command.
  }

  isPresent(): boolean {
    // A USB adapter unplugged, or a pseudo-terminal whose socat is gone, removes the device path.
    // Windows COM names are not files: nothing to check there.
    if (process.platform === 'win32' || !this.description.startsWith('/')) return true;
    return existsSync(this.description);
  }

  close(): Promise<void> {
    if (this.closed || !this.port.isOpen) {
      this.closed = true;
      return Promise.resolve();
    }
    this.closing = true;
    return new Promise((resolve) => {
      this.port.close(() => resolve());
    });
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.port.on('data', listener);
  }

  onClose(listener: (reason: string, expected: boolean) => void): void {
    this.closeListeners.push(listener);
  }

  abandon(reason: string): void {
    this.emitClose(reason, false);
    if (this.port.isOpen) this.port.close(() => undefined);
  }

  private emitClose(reason: string, expected: boolean): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.closeListeners) l(reason, expected);
  }
}
