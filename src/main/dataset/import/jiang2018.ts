/**
 * Jiang et al. 2018 (Biomed. Opt. Express 9:1601) public dataset layout:
 *   training: .../s<seg>_l<loc>/Seg<n>_defocus<nm>.jpg  -> one stack per (folder, Seg<n>), slide jiang2018/s<seg>
 *   test:     .../<folder>/defocus<nm>.jpg               -> one stack per folder, slide jiang2018/<folder path>
 * Defocus is in NANOmetres, signed; labels are taken as given (d = defocus / 1000 um, z = d, z_focus = 0) with the
 * published sign; `defocusSign: -1` flips it if that dataset's convention is found to be the opposite of ours.
 */
import path from 'node:path';
import { DatasetError } from '../errors';
import { groupStacks, requireDir, walkFiles, IMAGE_RE, type ImportPlan } from './plan';

const TRAIN_DIR = /^s(\d+)_l(\d+)$/i;
const TRAIN_FILE = /^Seg(\d+)_defocus([-+]?\d+(?:\.\d+)?)\.jpe?g$/i;
const TEST_FILE = /^defocus([-+]?\d+(?:\.\d+)?)\.jpe?g$/i;

export function scanJiang2018(root: string, opts: { defocusSign?: 1 | -1 } = {}): ImportPlan {
  const abs = requireDir(root, 'Jiang 2018 import');
  const sign = opts.defocusSign ?? 1;
  const rootName = path.basename(abs);
  const entries: Parameters<typeof groupStacks>[0] = [];
  const ignored: string[] = [];
  for (const rel of walkFiles(abs)) {
    const parts = rel.split('/');
    const name = parts[parts.length - 1];
    const folder = parts.slice(0, -1).join('/');
    const parent = parts[parts.length - 2] ?? '';
    const train = TRAIN_FILE.exec(name);
    const dir = TRAIN_DIR.exec(parent);
    if (train && dir) {
      const d = (sign * Number(train[2])) / 1000;
      entries.push({
        slideName: `jiang2018/s${dir[1]}`,
        key: `${folder}/Seg${train[1]}`,
        plane: { file: path.join(abs, ...parts), zUm: d, defocusUm: d, originalName: rel },
      });
      continue;
    }
    const test = TEST_FILE.exec(name);
    if (test) {
      const d = (sign * Number(test[1])) / 1000;
      entries.push({
        slideName: `jiang2018/${folder || rootName}`,
        key: folder || rootName,
        plane: { file: path.join(abs, ...parts), zUm: d, defocusUm: d, originalName: rel },
      });
      continue;
    }
    if (IMAGE_RE.test(name)) ignored.push(rel);
  }
  if (entries.length === 0) {
    throw new DatasetError(
      'bad-input',
      `no Jiang et al. 2018 images under ${abs}: expected s<seg>_l<loc>/Seg<n>_defocus<nm>.jpg or <folder>/defocus<nm>.jpg` +
        (ignored.length ? ` (found ${ignored.length} other images, e.g. ${ignored[0]})` : ''),
    );
  }
  return { format: 'jiang2018', stacks: groupStacks(entries, 0), ignored };
}
