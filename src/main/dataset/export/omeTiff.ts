/**
 * Per-stack multi-page OME-TIFF: one IFD per z plane (ascending z), uncompressed, little-endian, one strip per
 * page; OME-XML in the first ImageDescription with DimensionOrder XYZCT, PhysicalSizeX/Y (um per pixel) and
 * PhysicalSizeZ (the mean z step, um), plus each plane's PositionZ and a MapAnnotation with z_focus and the labels.
 * RGB is stored as one channel with SamplesPerPixel=3 (interleaved, PhotometricInterpretation RGB): Fiji
 * (Bio-Formats) and napari (tifffile) open it as an RGB z-stack; SizeC = 3 as the OME model requires.
 *
 * The IFDs are encoded with utif2's IFD writer; pixels are streamed page by page, so a 41-plane 5 MP stack does
 * not need to fit in memory at once.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import * as utifModule from 'utif2';
import type { RawImage } from '../codec';
import { DatasetError } from '../errors';

interface UtifInternals {
  _writeIFD(
    bin: unknown,
    types: unknown,
    data: Uint8Array,
    offset: number,
    ifd: Record<string, unknown>,
  ): [number, number];
  _binLE: {
    writeUshort(b: Uint8Array, p: number, n: number): void;
    writeUint(b: Uint8Array, p: number, n: number): void;
  };
  _types: { basic: unknown };
}
const UTIF = ((utifModule as unknown as { default?: unknown }).default ?? utifModule) as UtifInternals;

export interface OmeStackInfo {
  name: string;
  width: number;
  height: number;
  channels: 1 | 3;
  bitDepth: 8 | 16;
  pixelSizeUm: number;
  zUm: number[];
  /** Extra key/values for the MapAnnotation (z_focus, labels, provenance). */
  annotations?: Record<string, string | number | null>;
  creator?: string;
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function meanStep(z: number[]): number {
  if (z.length < 2) return 1;
  return (z[z.length - 1] - z[0]) / (z.length - 1);
}

export function omeXml(s: OmeStackInfo): string {
  const n = s.zUm.length;
  const type = s.bitDepth === 16 ? 'uint16' : 'uint8';
  const tiffData = s.zUm
    .map((_, i) => `      <TiffData IFD="${i}" FirstZ="${i}" FirstC="0" FirstT="0" PlaneCount="1"/>`)
    .join('\n');
  const planes = s.zUm
    .map((z, i) => `      <Plane TheZ="${i}" TheC="0" TheT="0" PositionZ="${z}" PositionZUnit="µm"/>`)
    .join('\n');
  const ann = Object.entries(s.annotations ?? {})
    .map(([k, v]) => `<M K="${xmlEscape(k)}">${xmlEscape(v === null ? '' : String(v))}</M>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openmicroscopy.org/Schemas/OME/2016-06 http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd" Creator="${xmlEscape(s.creator ?? 'FocusStation')}">
  <Image ID="Image:0" Name="${xmlEscape(s.name)}">
    <Pixels ID="Pixels:0" DimensionOrder="XYZCT" Type="${type}" SignificantBits="${s.bitDepth}" BigEndian="false" Interleaved="true" SizeX="${s.width}" SizeY="${s.height}" SizeZ="${n}" SizeC="${s.channels}" SizeT="1" PhysicalSizeX="${s.pixelSizeUm}" PhysicalSizeXUnit="µm" PhysicalSizeY="${s.pixelSizeUm}" PhysicalSizeYUnit="µm" PhysicalSizeZ="${meanStep(s.zUm)}" PhysicalSizeZUnit="µm">
      <Channel ID="Channel:0:0" SamplesPerPixel="${s.channels}" Name="${s.channels === 3 ? 'RGB' : 'Grey'}"/>
${tiffData}
${planes}
    </Pixels>
    <AnnotationRef ID="Annotation:0"/>
  </Image>
  <StructuredAnnotations>
    <MapAnnotation ID="Annotation:0" Namespace="focus-station"><Value>${ann}</Value></MapAnnotation>
  </StructuredAnnotations>
</OME>
`;
}

function ifdFor(s: OmeStackInfo, i: number, offset: number, description: string | null) {
  const bits = s.bitDepth;
  const pageBytes = s.width * s.height * s.channels * (bits / 8);
  const perCm = Math.round((1e4 / s.pixelSizeUm) * 1000);
  // Tags in ascending order, as TIFF requires.
  const ifd: Record<string, unknown> = {
    t254: [0],
    t256: [s.width],
    t257: [s.height],
    t258: new Array(s.channels).fill(bits),
    t259: [1],
    t262: [s.channels === 3 ? 2 : 1],
  };
  if (description !== null) ifd.t270 = [description];
  Object.assign(ifd, {
    t273: [offset],
    t277: [s.channels],
    t278: [s.height],
    t279: [pageBytes],
    t282: [[perCm, 1000]],
    t283: [[perCm, 1000]],
    t284: [1],
    t296: [3], // centimetre
    t305: [s.creator ?? 'FocusStation'],
  });
  return ifd;
}

/** Header + chained IFDs (utif2's IFD writer with little-endian byte order), with the given strip offsets. */
function encodeDirectories(ifds: Record<string, unknown>[]): Uint8Array {
  const est = 64 + ifds.reduce((a, d) => a + 600 + String((d.t270 as string[] | undefined)?.[0] ?? '').length, 0);
  const data = new Uint8Array(est);
  const bin = UTIF._binLE;
  data[0] = data[1] = 73; // "II"
  bin.writeUshort(data, 2, 42);
  let ifdo = 8;
  bin.writeUint(data, 4, ifdo);
  for (let i = 0; i < ifds.length; i++) {
    const [nextPtr, end] = UTIF._writeIFD(bin, UTIF._types.basic, data, ifdo, ifds[i]);
    ifdo = end + (end & 1 ? 1 : 0);
    if ((ifdo & 3) !== 0) ifdo += 4 - (ifdo & 3);
    if (i < ifds.length - 1) bin.writeUint(data, nextPtr, ifdo);
  }
  if (ifdo > est) throw new Error('TIFF directory estimate too small');
  return data.slice(0, ifdo);
}

/** Writes the stack; getPlane(i) returns plane i's pixels (same size and layout for all). */
export async function writeOmeTiff(
  file: string,
  info: OmeStackInfo,
  getPlane: (i: number) => Promise<RawImage>,
): Promise<void> {
  const n = info.zUm.length;
  if (n === 0) throw new DatasetError('bad-input', 'an OME-TIFF needs at least one plane');
  const pageBytes = info.width * info.height * info.channels * (info.bitDepth / 8);
  if (pageBytes * n > 0xffff_0000) throw new DatasetError('bad-input', 'stack over 4 GiB: BigTIFF is not supported');
  // UTF-8 bytes carried as a latin-1 string: utif2 writes one byte per char code.
  const desc = Buffer.from(omeXml(info), 'utf8').toString('latin1');
  const build = (base: number) =>
    encodeDirectories(info.zUm.map((_, i) => ifdFor(info, i, base + i * pageBytes, i === 0 ? desc : null)));
  const headLen = build(0).length;
  const base = headLen + ((8 - (headLen % 8)) % 8);
  const head = build(base);
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.write(head, 0, head.length, 0);
    for (let i = 0; i < n; i++) {
      const p = await getPlane(i);
      if (
        p.width !== info.width ||
        p.height !== info.height ||
        p.channels !== info.channels ||
        p.bitDepth !== info.bitDepth
      ) {
        throw new DatasetError(
          'bad-input',
          `plane ${i} is ${p.width}x${p.height}x${p.channels}@${p.bitDepth}, the stack is ${info.width}x${info.height}x${info.channels}@${info.bitDepth}`,
        );
      }
      const bytes = new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength); // little-endian host
      await fh.write(bytes, 0, bytes.length, base + i * pageBytes);
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await fsp.rename(tmp, file);
}
