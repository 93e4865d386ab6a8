/**
 * Cuts ffmpeg's rawvideo stdout into frames of exactly width*height*bpp bytes. Chunks from the
 * pipe do not respect frame boundaries, so bytes are accumulated until a whole frame is there.
 */
import { bytesPerPixel, type RawPixelFormat } from './inputs';

export interface RawFrame {
  width: number;
  height: number;
  channels: 1 | 3;
  bitDepth: 8 | 16;
  data: Uint8Array | Uint16Array;
  /** Sequence number since the reader started. */
  index: number;
  receivedAt: number;
}

export class RawFrameReader {
  private readonly frameBytes: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private count = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly format: RawPixelFormat,
    private readonly onFrame: (frame: RawFrame) => void,
  ) {
    this.frameBytes = width * height * bytesPerPixel(format);
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= this.frameBytes) {
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
      const frameBuf = all.subarray(0, this.frameBytes);
      const rest = all.subarray(this.frameBytes);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.onFrame(this.decode(frameBuf));
    }
  }

  private decode(buf: Buffer): RawFrame {
    const base = { width: this.width, height: this.height, index: this.count++, receivedAt: Date.now() };
    if (this.format === 'gray16le') {
      const data = new Uint16Array(this.width * this.height);
      for (let i = 0; i < data.length; i++) data[i] = buf.readUInt16LE(i * 2);
      return { ...base, channels: 1, bitDepth: 16, data };
    }
    // Copy: the pipe's buffers are reused by Node.
    const data = new Uint8Array(buf.length);
    data.set(buf);
    return { ...base, channels: this.format === 'rgb24' ? 3 : 1, bitDepth: 8, data };
  }
}
