/** The pixel size a TIFF records about itself (OME-XML, ImageJ, Micro-Manager), and the print densities ignored. */
import { describe, expect, it } from 'vitest';
import * as utifModule from 'utif2';
import {
  imageJPixelSizeUm,
  microManagerPixelSizeUm,
  omePixelSizeUm,
  tiffCalibration,
} from '../../../src/main/autofocus/file-calibration';

const UTIF = ((utifModule as unknown as { default?: unknown }).default ?? utifModule) as {
  encodeImage(rgba: Uint8Array, w: number, h: number, metadata?: Record<string, unknown>): ArrayBuffer;
};

/** An 8x8 TIFF with these extra tags (ASCII values as UTF-8 bytes in a latin-1 string, as writers store them). */
function tiff(tags: Record<string, unknown>): Buffer {
  return Buffer.from(UTIF.encodeImage(new Uint8Array(8 * 8 * 4).fill(128), 8, 8, tags));
}
const ascii = (s: string) => [Buffer.from(s, 'utf8').toString('latin1')];

describe('pixel size from OME-XML', () => {
  it('reads PhysicalSizeX in its unit (um by default)', () => {
    const xml = (attrs: string) => `<OME><Image ID="Image:0"><Pixels ID="Pixels:0" SizeX="8" ${attrs}/></Image></OME>`;
    expect(omePixelSizeUm(xml('PhysicalSizeX="0.325" PhysicalSizeXUnit="µm"'))).toBeCloseTo(0.325, 9);
    expect(omePixelSizeUm(xml('PhysicalSizeX="0.325"'))).toBeCloseTo(0.325, 9);
    expect(omePixelSizeUm(xml('PhysicalSizeX="108" PhysicalSizeXUnit="nm"'))).toBeCloseTo(0.108, 9);
    expect(omePixelSizeUm(xml('PhysicalSizeX="0.000325" PhysicalSizeXUnit="mm"'))).toBeCloseTo(0.325, 9);
    expect(omePixelSizeUm(xml('PhysicalSizeX="1" PhysicalSizeXUnit="pixel"'))).toBeUndefined();
    expect(omePixelSizeUm(xml('SizeY="8"'))).toBeUndefined();
  });
});

describe('pixel size from an ImageJ description', () => {
  it('is 1 / XResolution in the unit the description names', () => {
    expect(imageJPixelSizeUm('ImageJ=1.54f\nunit=micron\n', 1 / 0.325)).toBeCloseTo(0.325, 9);
    expect(imageJPixelSizeUm('ImageJ=1.54f\nunit=\\u00B5m\n', 4)).toBeCloseTo(0.25, 9);
    expect(imageJPixelSizeUm('ImageJ=1.54f\nunit=nm\n', 1 / 110)).toBeCloseTo(0.11, 9);
    // uncalibrated ImageJ files say unit=pixel, or nothing
    expect(imageJPixelSizeUm('ImageJ=1.54f\nunit=pixel\n', 1)).toBeUndefined();
    expect(imageJPixelSizeUm('ImageJ=1.54f\nimages=3\n', 1)).toBeUndefined();
    expect(imageJPixelSizeUm('some scanner\nunit=micron\n', 4)).toBeUndefined();
  });
});

describe('pixel size from Micro-Manager metadata', () => {
  it('reads PixelSizeUm, quoted or not', () => {
    expect(microManagerPixelSizeUm('{"Camera":"Andor","PixelSizeUm":0.1625}')).toBeCloseTo(0.1625, 9);
    expect(microManagerPixelSizeUm('{"PixelSizeUm": "0.65"}')).toBeCloseTo(0.65, 9);
    expect(microManagerPixelSizeUm('{"Exposure-ms": 10}')).toBeUndefined();
  });
});

describe('a TIFF calibration', () => {
  it('is found in the first directory of an ImageJ TIFF (XResolution a rational)', () => {
    const file = tiff({ t270: ascii('ImageJ=1.54f\nunit=micron\n'), t282: [[40000, 13000]], t296: [1] });
    const found = tiffCalibration(file);
    expect(found?.source).toBe('ImageJ');
    expect(found?.pixelSizeUm).toBeCloseTo(0.325, 9);
  });

  it('is found in an OME-XML description with a UTF-8 µ', () => {
    const xml = '<OME><Image><Pixels PhysicalSizeX="0.055" PhysicalSizeXUnit="µm"/></Image></OME>';
    expect(tiffCalibration(tiff({ t270: ascii(xml) }))).toEqual({ pixelSizeUm: 0.055, source: 'OME-XML' });
  });

  it("ignores a plain TIFF's print density (72 dpi) and calibrations no microscope has", () => {
    expect(tiffCalibration(tiff({}))).toBeUndefined();
    expect(tiffCalibration(tiff({ t282: [[300, 1]], t296: [2] }))).toBeUndefined();
    // ImageJ, but a unit mix-up: 325 um per pixel
    const mixUp = tiff({ t270: ascii('ImageJ=1.54f\nunit=micron\n'), t282: [[1, 325]] });
    expect(tiffCalibration(mixUp)).toBeUndefined();
  });

  it('is none for a file that is not a TIFF, or a TIFF too damaged to parse', () => {
    expect(tiffCalibration(Buffer.from('\x89PNG\r\n\x1a\n0000', 'latin1'))).toBeUndefined();
    expect(tiffCalibration(Buffer.from('II*\0\xff\xff\xff\x7f', 'latin1'))).toBeUndefined();
  });
});
