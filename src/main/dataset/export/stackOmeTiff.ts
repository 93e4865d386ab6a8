/** A stored stack as one calibrated OME-TIFF z-stack (planes ascending in z). */
import { appVersion } from '../appVersion';
import { decodeImage } from '../codec';
import type { Dataset } from '../db';
import { DatasetError } from '../errors';
import { ImageStore } from '../imageStore';
import { listImageRows } from '../repo/images';
import { requireSetup } from '../repo/setups';
import { requireStackRow } from '../repo/stacks';
import { writeOmeTiff } from './omeTiff';

export async function exportStackOmeTiff(
  ds: Dataset,
  stackId: number,
  file: string,
): Promise<{ file: string; planes: number }> {
  const stack = requireStackRow(ds.db, stackId);
  const setup = requireSetup(ds.db, stack.setup_id);
  const images = listImageRows(ds.db, stackId);
  if (images.length === 0) throw new DatasetError('bad-input', `stack ${stackId} has no images`);
  const first = images[0];
  if (images.some((i) => i.width !== first.width || i.height !== first.height || i.channels !== first.channels)) {
    throw new DatasetError('bad-input', `stack ${stackId} mixes image sizes; it cannot be one OME-TIFF`);
  }
  const store = new ImageStore(ds.imagesDir);
  const out = /\.ome\.tiff?$/i.test(file) ? file : `${file}.ome.tif`;
  await writeOmeTiff(
    out,
    {
      name: `stack ${stackId}`,
      width: first.width,
      height: first.height,
      channels: first.channels,
      bitDepth: first.bit_depth === 8 ? 8 : 16,
      pixelSizeUm: setup.pixelSizeUm,
      zUm: images.map((i) => i.z_um),
      creator: `FocusStation ${appVersion()}`,
      annotations: {
        stack_id: stackId,
        setup_id: setup.id,
        magnification: setup.magnification,
        na: setup.na,
        z_focus_um: stack.z_focus_um,
        z_focus_source: stack.z_focus_source,
        qc_verdict: stack.qc_verdict,
        defocus_um: images.map((i) => (i.defocus_um === null ? 'NaN' : i.defocus_um.toFixed(4))).join(' '),
        significant_bits: first.bit_depth,
      },
    },
    async (i) => decodeImage(await store.read(images[i].file), images[i].file),
  );
  return { file: out, planes: images.length };
}
