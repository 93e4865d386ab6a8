/**
 * Splits the receive buffer into reply lines for one protocol's terminator.
 * Stray CR/LF around lines are dropped, so a CRLF device read as LF (or the reverse) still frames cleanly.
 */
import type { ReadTerminator } from './protocol';

export class LineFramer {
  private buffer = '';

  constructor(private readonly terminator: ReadTerminator) {}

  push(text: string): void {
    this.buffer += text;
  }

  clear(): void {
    this.buffer = '';
  }

  pending(): string {
    return this.buffer;
  }

  /** Takes exactly n characters (after any leading CR/LF) when they have arrived, for terminator-less replies. */
  takeChars(n: number): string | null {
    this.buffer = this.buffer.replace(/^[\r\n]+/, '');
    if (this.buffer.length < n) return null;
    const out = this.buffer.slice(0, n);
    this.buffer = this.buffer.slice(n);
    return out;
  }

  /** The next complete, non-empty line, or null when none is complete yet. */
  nextLine(): string | null {
    const splitChar = this.terminator === '\r' ? '\r' : '\n';
    for (;;) {
      const at = this.buffer.indexOf(splitChar);
      if (at < 0) return null;
      const raw = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 1);
      const line = raw.replace(/^[\r\n]+|[\r\n]+$/g, '');
      if (line.length > 0) return line;
    }
  }
}
