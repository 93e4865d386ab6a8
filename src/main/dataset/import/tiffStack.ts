/**
 * Multi-page TIFF z-stacks: each .tif/.tiff file (or the one file given) is one stack, page i at
 * z = zStartUm + i * stepUm. Without stepUm the OME-XML PhysicalSizeZ of the file is used (our own OME-TIFF
 * export round-trips); without either, the import is refused. Labels are fitted (z_focus not given).
 */
import fs from 'node:fs';
import path from 'node:path';
import { probeImage } from '../codec';
import { DatasetError } from '../errors';
import { asciiTag, firstDirectoryOfFile } from '../tiff-directory';
import { groupStacks, requireDir, type ImportPlan } from './plan';

export interface TiffStackOptions {
  stepUm?: number;
  zStartUm?: number;
  slideName?: string;
}

/** PhysicalSizeZ from an OME-XML ImageDescription, if any. */
async function omeStepUm(file: string): Promise<number | undefined> {
  const ifd = await firstDirectoryOfFile(file);
  const desc = ifd && asciiTag(ifd, 't270');
  const m = desc ? /PhysicalSizeZ="([-+0-9.eE]+)"/.exec(desc) : null;
  return m ? Number(m[1]) : undefined;
}

export async function scanTiffStacks(p: string, o: TiffStackOptions = {}): Promise<ImportPlan> {
  const abs = requireDir(p, 'TIFF stack import');
  const files = fs.statSync(abs).isDirectory()
    ? fs
        .readdirSync(abs)
        .filter((n) => /\.tiff?$/i.test(n))
        .sort()
        .map((n) => path.join(abs, n))
    : [abs];
  if (files.length === 0) throw new DatasetError('bad-input', `no .tif/.tiff file in ${abs}`);
  const entries: Parameters<typeof groupStacks>[0] = [];
  for (const file of files) {
    const info = await probeImage(file, file);
    if (info.format !== 'tiff') throw new DatasetError('bad-input', `${file} is not a TIFF (${info.format})`);
    if (info.pages < 2) throw new DatasetError('bad-input', `${file} has ${info.pages} page; a z-stack needs several`);
    const step = o.stepUm ?? (await omeStepUm(file));
    if (!(step !== undefined && step > 0)) {
      throw new DatasetError('bad-input', `${file}: give the z step (stepUm); the file does not say it`);
    }
    const key = path.basename(file).replace(/(\.ome)?\.tiff?$/i, '');
    for (let i = 0; i < info.pages; i++) {
      entries.push({
        slideName: o.slideName ?? path.basename(path.dirname(file)),
        key,
        plane: { file, page: i, zUm: (o.zStartUm ?? 0) + i * step, originalName: `${path.basename(file)}#${i}` },
      });
    }
  }
  return { format: 'tiff-stack', stacks: groupStacks(entries, undefined), ignored: [] };
}
