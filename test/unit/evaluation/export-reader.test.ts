import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EvaluationError, loadFrame, parseCsv, readExport } from '../../../src/main/evaluation/export-reader';
import { scratchDir } from '../inference/helpers';
import { writeExport } from './export-fixture';

describe('export reader', () => {
  it('parses quoted CSV fields and line endings', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n1,\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['1', ''],
    ]);
  });

  it('reads the manifest and decodes 8-bit RGB, 8-bit grey and 16-bit grey images', async () => {
    const dir = scratchDir('export-reader');
    await writeExport(dir, [
      { path: 'images/a.png', split: 'test', defocus: -2.5, value: 200 },
      { path: 'images/b.png', split: 'test', defocus: 1, value: 17, channels: 1 },
      {
        path: 'images/c.png',
        split: 'train',
        defocus: 3,
        value: 40000,
        channels: 1,
        bitDepth: 16,
        width: 300,
        height: 250,
      },
    ]);
    const data = await readExport(dir);
    expect(data.rows.map((r) => [r.split, r.defocus_um, r.patch_x])).toEqual([
      ['test', -2.5, 0],
      ['test', 1, 0],
      ['train', 3, undefined],
    ]);
    const rgb = await loadFrame(data, data.rows[0]);
    expect(rgb).toMatchObject({ width: 224, height: 224, channels: 3, bitDepth: 8, pixelSizeUm: 0.1725 });
    expect(rgb.data[0]).toBe(200);
    const grey = await loadFrame(data, data.rows[1]);
    expect(grey).toMatchObject({ channels: 1, bitDepth: 8 });
    expect(grey.data.length).toBe(224 * 224);
    const sixteen = await loadFrame(data, data.rows[2]);
    expect(sixteen).toMatchObject({ width: 300, height: 250, channels: 1, bitDepth: 16 });
    expect(sixteen.data).toBeInstanceOf(Uint16Array);
    expect(sixteen.data[123]).toBe(40000);
  });

  it('gives clear errors for a foreign folder, bad rows, missing images and escaping paths', async () => {
    const dir = scratchDir('export-reader-bad');
    await expect(readExport(dir)).rejects.toMatchObject({ code: 'export-invalid' });
    writeFileSync(join(dir, 'dataset.json'), '{"format": "something-else"}');
    await expect(readExport(dir)).rejects.toThrow(/not a focus-station export/);
    await writeExport(dir, [{ path: 'images/a.png', split: 'test', defocus: 1, value: 1, missing: true }]);
    const data = await readExport(dir);
    await expect(loadFrame(data, data.rows[0])).rejects.toBeInstanceOf(EvaluationError);
    await expect(loadFrame(data, { ...data.rows[0], path: '../../etc/passwd' })).rejects.toThrow(
      /leaves the export folder/,
    );
    writeFileSync(join(dir, 'manifest.csv'), 'path,split\nx.png,test\n');
    await expect(readExport(dir)).rejects.toThrow(/lacks the columns/);
    const header =
      'path,split,stack_id,slide_id,setup_id,defocus_um,z_um,z_focus_um,pixel_size_um,magnification,na,channels,bit_depth,width,height,patch_x,patch_y,source';
    writeFileSync(join(dir, 'manifest.csv'), `${header}\nx.png,test,s,sl,20x,abc,,,0.17,20,0.75,3,8,224,224,0,0,sim\n`);
    await expect(readExport(dir)).rejects.toThrow(/line 2: defocus_um/);
  });
});
