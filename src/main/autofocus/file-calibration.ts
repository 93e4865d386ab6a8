/**
 * The pixel size a microscope's TIFF records about itself, so that `predict` can resample other labs' stacks to the
 * model's pixel size without being told. Only calibrations written by microscopy software in micrometres are
 * trusted: OME-XML PhysicalSizeX (OME-TIFF: Micro-Manager, Bio-Formats, our own export), ImageJ's `unit=micron` with
 * XResolution in pixels per unit, and Micro-Manager's PixelSizeUm. A plain TIFF's resolution is a print density
 * (72 dpi by default in most writers) and says nothing about the sample, so it is ignored.
 */
import fsp from 'node:fs/promises';
import * as utifModule from 'utif2';

const UTIF = ((utifModule as unknown as { default?: unknown }).default ?? utifModule) as {
  decode(buf: Buffer | ArrayBuffer): Record<string, unknown>[];
};

export type CalibrationSource = 'OME-XML' | 'ImageJ' | 'Micro-Manager';

export interface FileCalibration {
  /** um per pixel at the sample (x; y is assumed the same). */
  pixelSizeUm: number;
  source: CalibrationSource;
}

/** Pixel sizes outside this range (um) are not a brightfield microscope's: a unit mix-up, so the file is ignored. */
export const PLAUSIBLE_PIXEL_UM = { min: 0.01, max: 20 } as const;

/** Length units microscopy software writes, in um. */
const UNIT_UM: Record<string, number> = {
  um: 1,
  µm: 1,
  μm: 1,
  micron: 1,
  microns: 1,
  micrometer: 1,
  micrometre: 1,
  '\\u00b5m': 1,
  nm: 1e-3,
  nanometer: 1e-3,
  mm: 1e3,
  millimeter: 1e3,
  cm: 1e4,
  m: 1e6,
  å: 1e-4,
};

function unitToUm(unit: string): number | undefined {
  return UNIT_UM[unit.trim().toLowerCase()];
}

function plausible(um: number | undefined): um is number {
  return um !== undefined && Number.isFinite(um) && um >= PLAUSIBLE_PIXEL_UM.min && um <= PLAUSIBLE_PIXEL_UM.max;
}

/** OME-XML `<Pixels PhysicalSizeX="0.325" PhysicalSizeXUnit="µm">` (the unit defaults to um in the schema). */
export function omePixelSizeUm(xml: string): number | undefined {
  const pixels = /<(?:\w+:)?Pixels\b[^>]*>/.exec(xml)?.[0];
  if (!pixels) return undefined;
  const size = /\bPhysicalSizeX="([-+0-9.eE]+)"/.exec(pixels)?.[1];
  if (size === undefined) return undefined;
  const unit = /\bPhysicalSizeXUnit="([^"]*)"/.exec(pixels)?.[1];
  const scale = unit === undefined ? 1 : unitToUm(decodeXmlEntities(unit));
  return scale === undefined ? undefined : Number(size) * scale;
}

/** ImageJ's description (`ImageJ=1.54f\nunit=micron\n...`) and XResolution, which ImageJ writes in pixels per unit. */
export function imageJPixelSizeUm(description: string, pixelsPerUnit: number | undefined): number | undefined {
  if (!/^ImageJ=/m.test(description) || !(pixelsPerUnit !== undefined && pixelsPerUnit > 0)) return undefined;
  const unit = /^unit=(.*)$/m.exec(description)?.[1];
  const scale = unit === undefined ? undefined : unitToUm(unit);
  return scale === undefined ? undefined : scale / pixelsPerUnit;
}

/** Micro-Manager's per-image JSON (TIFF tag 51123, or an OME-TIFF's description): `"PixelSizeUm": 0.325`. */
export function microManagerPixelSizeUm(json: string): number | undefined {
  const m = /"PixelSizeUm"\s*:\s*"?([-+0-9.eE]+)/.exec(json);
  return m ? Number(m[1]) : undefined;
}

function decodeXmlEntities(s: string): string {
  return s.replace(/&#(x?)([0-9a-fA-F]+);/g, (_, hex: string, code: string) =>
    String.fromCodePoint(parseInt(code, hex ? 16 : 10)),
  );
}

function firstText(ifd: Record<string, unknown>, tag: string): string | undefined {
  const v = ifd[tag];
  if (!Array.isArray(v) || typeof v[0] !== 'string') return undefined;
  // TIFF ASCII is bytes; microscopy software writes UTF-8 (µ), which utif2 hands over one byte per char.
  return Buffer.from(v[0], 'latin1').toString('utf8');
}

function rational(ifd: Record<string, unknown>, tag: string): number | undefined {
  const v = ifd[tag];
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const r = v[0] as unknown;
  if (Array.isArray(r) && r.length === 2 && Number(r[1]) !== 0) return Number(r[0]) / Number(r[1]);
  return typeof r === 'number' ? r : undefined;
}

/** The calibration in a TIFF's first directory, or undefined (not a TIFF, or nothing trustworthy in it). */
export function tiffCalibration(bytes: Buffer): FileCalibration | undefined {
  if (!isTiffSignature(bytes)) return undefined;
  let ifd: Record<string, unknown> | undefined;
  try {
    ifd = UTIF.decode(bytes)[0];
  } catch {
    return undefined; // a damaged file says what is wrong when its pixels are read
  }
  if (!ifd) return undefined;
  const description = firstText(ifd, 't270') ?? '';
  const candidates: [CalibrationSource, number | undefined][] = [
    ['OME-XML', omePixelSizeUm(description)],
    ['ImageJ', imageJPixelSizeUm(description, rational(ifd, 't282'))],
    ['Micro-Manager', microManagerPixelSizeUm(firstText(ifd, 't51123') ?? description)],
  ];
  for (const [source, um] of candidates) if (plausible(um)) return { pixelSizeUm: um, source };
  return undefined;
}

/** The calibration of an image file (TIFF only; other formats carry none a microscope writes). */
export async function fileCalibration(path: string): Promise<FileCalibration | undefined> {
  try {
    // The 4-byte signature first: PNGs and JPEGs (most files) are not read whole just to find they carry none.
    const handle = await fsp.open(path, 'r');
    const magic = Buffer.alloc(4);
    try {
      await handle.read(magic, 0, 4, 0);
    } finally {
      await handle.close();
    }
    if (!isTiffSignature(magic)) return undefined;
    return tiffCalibration(await fsp.readFile(path));
  } catch {
    return undefined; // an unreadable file says so when its pixels are read
  }
}

function isTiffSignature(bytes: Buffer): boolean {
  const magic = bytes.subarray(0, 4).toString('latin1');
  return magic === 'II*\0' || magic === 'MM\0*';
}
