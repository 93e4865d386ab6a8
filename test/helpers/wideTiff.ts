/**
 * A little-endian TIFF of one-channel 32-bit pages (SampleFormat 3 = float, 1 = unsigned integer), uncompressed, as
 * ImageJ writes its "32-bit" images. sharp and utif2 write 8 and 16 bits only, so the directories are laid out here.
 */
export function wideTiff(width: number, height: number, pages: (Float32Array | Uint32Array)[]): Buffer {
  const count = 10;
  const ifdBytes = 2 + count * 12 + 4;
  const pageBytes = width * height * 4;
  const ifdAt = (i: number) => 8 + i * (ifdBytes + pageBytes);
  const buf = Buffer.alloc(ifdAt(pages.length));
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(8, 4);
  pages.forEach((samples, i) => {
    const at = ifdAt(i);
    const dataAt = at + ifdBytes;
    const format = samples instanceof Float32Array ? 3 : 1;
    const tags: [number, 3 | 4, number][] = [
      [256, 4, width],
      [257, 4, height],
      [258, 3, 32], // BitsPerSample
      [259, 3, 1], // no compression
      [262, 3, 1], // black is zero
      [273, 4, dataAt], // StripOffsets
      [277, 3, 1], // SamplesPerPixel
      [278, 4, height], // RowsPerStrip
      [279, 4, pageBytes], // StripByteCounts
      [339, 3, format], // SampleFormat
    ];
    buf.writeUInt16LE(count, at);
    tags.forEach(([tag, type, value], k) => {
      const o = at + 2 + k * 12;
      buf.writeUInt16LE(tag, o);
      buf.writeUInt16LE(type, o + 2);
      buf.writeUInt32LE(1, o + 4);
      if (type === 3) buf.writeUInt16LE(value, o + 8);
      else buf.writeUInt32LE(value, o + 8);
    });
    buf.writeUInt32LE(i + 1 < pages.length ? ifdAt(i + 1) : 0, at + 2 + count * 12);
    Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).copy(buf, dataAt);
  });
  return buf;
}
