/** A minimal baseline TIFF writer for 16-bit grey test images (sharp writes TIFF only at 8 bits). */
export function grey16Tiff(width: number, height: number, pixels: Uint16Array): Buffer {
  const entries: Array<[tag: number, type: number, value: number]> = [
    [256, 3, width],
    [257, 3, height],
    [258, 3, 16],
    [259, 3, 1],
    [262, 3, 1],
    [273, 4, 0], // strip offset, patched below
    [277, 3, 1],
    [278, 3, height],
    [279, 4, pixels.length * 2],
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = 8 + ifdSize;
  const buf = Buffer.alloc(dataOffset + pixels.length * 2);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(8, 4);
  buf.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    buf.writeUInt16LE(tag, at);
    buf.writeUInt16LE(type, at + 2);
    buf.writeUInt32LE(1, at + 4);
    const v = tag === 273 ? dataOffset : value;
    if (type === 3) buf.writeUInt16LE(v, at + 8);
    else buf.writeUInt32LE(v, at + 8);
  });
  buf.writeUInt32LE(0, 8 + 2 + entries.length * 12);
  pixels.forEach((p, i) => buf.writeUInt16LE(p, dataOffset + i * 2));
  return buf;
}
