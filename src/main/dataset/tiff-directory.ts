/**
 * The first directory (IFD) of a TIFF file: the tags microscopy software writes its metadata into (ImageDescription
 * with OME-XML or ImageJ's header, resolutions, Micro-Manager's own tags). Shared by the pixel-size calibration of
 * `predict` and the z step of the TIFF-stack import.
 */
import fsp from 'node:fs/promises';
import * as utifModule from 'utif2';

const UTIF = ((utifModule as unknown as { default?: unknown }).default ?? utifModule) as {
  decode(buf: Buffer | ArrayBuffer): Record<string, unknown>[];
};

export type TiffDirectory = Record<string, unknown>;

export function isTiffSignature(bytes: Buffer): boolean {
  const magic = bytes.subarray(0, 4).toString('latin1');
  return magic === 'II*\0' || magic === 'MM\0*';
}

/** The first directory of TIFF bytes, or undefined (not a TIFF, or damaged: its pixels say what is wrong). */
export function firstDirectory(bytes: Buffer): TiffDirectory | undefined {
  if (!isTiffSignature(bytes)) return undefined;
  try {
    return UTIF.decode(bytes)[0];
  } catch {
    return undefined;
  }
}

/** The first directory of a file, reading only the 4-byte signature of files that are not TIFFs. */
export async function firstDirectoryOfFile(path: string): Promise<TiffDirectory | undefined> {
  try {
    const handle = await fsp.open(path, 'r');
    const magic = Buffer.alloc(4);
    try {
      await handle.read(magic, 0, 4, 0);
    } finally {
      await handle.close();
    }
    if (!isTiffSignature(magic)) return undefined;
    return firstDirectory(await fsp.readFile(path));
  } catch {
    return undefined; // an unreadable file says so when its pixels are read
  }
}

/** An ASCII tag's text. TIFF ASCII is bytes; microscopy software writes UTF-8 (µ), which utif2 hands over one byte
 * per char. */
export function asciiTag(ifd: TiffDirectory, tag: string): string | undefined {
  const v = ifd[tag];
  if (!Array.isArray(v) || typeof v[0] !== 'string') return undefined;
  return Buffer.from(v[0], 'latin1').toString('utf8');
}

/** A RATIONAL (or plain number) tag's first value. */
export function rationalTag(ifd: TiffDirectory, tag: string): number | undefined {
  const v = ifd[tag];
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const r = v[0] as unknown;
  if (Array.isArray(r) && r.length === 2 && Number(r[1]) !== 0) return Number(r[0]) / Number(r[1]);
  return typeof r === 'number' ? r : undefined;
}
