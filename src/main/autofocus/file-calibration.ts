/**
 * The pixel size a microscope's TIFF records about itself, so that `predict` can resample other labs' stacks to the
 * model's pixel size without being told. Only calibrations written by microscopy software in micrometres are
 * trusted: OME-XML PhysicalSizeX (OME-TIFF: Micro-Manager, Bio-Formats, our own export), ImageJ's `unit=micron` with
 * XResolution in pixels per unit, and Micro-Manager's PixelSizeUm. A plain TIFF's resolution is a print density
 * (72 dpi by default in most writers) and says nothing about the sample, so it is ignored.
 */
import {
  asciiTag,
  firstDirectory,
  firstDirectoryOfFile,
  rationalTag,
  type TiffDirectory,
} from '../dataset/tiff-directory';

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

/** The calibration in a TIFF's first directory, or undefined (not a TIFF, or nothing trustworthy in it). */
export function tiffCalibration(bytes: Buffer): FileCalibration | undefined {
  const ifd = firstDirectory(bytes);
  return ifd && directoryCalibration(ifd);
}

/** The calibration of an image file (TIFF only; other formats carry none a microscope writes). */
export async function fileCalibration(path: string): Promise<FileCalibration | undefined> {
  const ifd = await firstDirectoryOfFile(path);
  return ifd && directoryCalibration(ifd);
}

function directoryCalibration(ifd: TiffDirectory): FileCalibration | undefined {
  const description = asciiTag(ifd, 't270') ?? '';
  const candidates: [CalibrationSource, number | undefined][] = [
    ['OME-XML', omePixelSizeUm(description)],
    ['ImageJ', imageJPixelSizeUm(description, rationalTag(ifd, 't282'))],
    ['Micro-Manager', microManagerPixelSizeUm(asciiTag(ifd, 't51123') ?? description)],
  ];
  for (const [source, um] of candidates) if (plausible(um)) return { pixelSizeUm: um, source };
  return undefined;
}
