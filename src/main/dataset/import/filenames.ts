/**
 * A folder of images whose names carry a signed defocus or a z position, plus a field/stack key, e.g.
 * ix000_iy025_-36.0007.jpeg -> key ix000_iy025, defocus -36.0007 um. The pattern is a regex with named groups
 * `key` and `value` (optional `slide`); `value` is a defocus (labels given, z_focus = 0) or a z position (labels
 * fitted), times `unitUm` (1 for um, 0.001 for nm).
 */
import path from 'node:path';
import { DatasetError } from '../errors';
import { groupStacks, requireDir, walkFiles, IMAGE_RE, type ImportPlan } from './plan';

export const DEFAULT_FILENAME_PATTERN =
  '^(?<key>.+)_(?<value>[-+]?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)(?:um)?\\.(?:png|jpe?g|tiff?)$';

export interface FilenameOptions {
  pattern?: string;
  value?: 'defocus' | 'z';
  unitUm?: number;
  slideName?: string;
  /** Look into sub-folders too (their path becomes part of the key). Default false. */
  recursive?: boolean;
}

export function scanFilenames(root: string, o: FilenameOptions = {}): ImportPlan {
  const abs = requireDir(root, 'file-name import');
  let re: RegExp;
  try {
    re = new RegExp(o.pattern ?? DEFAULT_FILENAME_PATTERN, 'i');
  } catch (err) {
    throw new DatasetError(
      'bad-input',
      `file-name pattern is not a valid regular expression: ${(err as Error).message}`,
    );
  }
  if (!/\(\?<value>/.test(re.source))
    throw new DatasetError('bad-input', 'file-name pattern needs a named group (?<value>...)');
  const kind = o.value ?? 'defocus';
  const unit = o.unitUm ?? 1;
  if (!(unit > 0)) throw new DatasetError('bad-input', `unitUm must be positive, got ${unit}`);
  const slideDefault = o.slideName ?? path.basename(abs);
  const entries: Parameters<typeof groupStacks>[0] = [];
  const ignored: string[] = [];
  for (const rel of walkFiles(abs)) {
    const parts = rel.split('/');
    if (!o.recursive && parts.length > 1) continue;
    const name = parts[parts.length - 1];
    if (!IMAGE_RE.test(name)) continue;
    const m = re.exec(name);
    const v = m?.groups?.value !== undefined ? Number(m.groups.value) * unit : NaN;
    if (!m || !Number.isFinite(v)) {
      ignored.push(rel);
      continue;
    }
    const key = [...parts.slice(0, -1), m.groups?.key ?? 'stack'].join('/');
    entries.push({
      slideName: m.groups?.slide ?? slideDefault,
      key,
      plane: {
        file: path.join(abs, ...parts),
        zUm: v,
        defocusUm: kind === 'defocus' ? v : undefined,
        originalName: rel,
      },
    });
  }
  if (entries.length === 0) {
    throw new DatasetError(
      'bad-input',
      `no image under ${abs} matches the file-name pattern ${re.source}` +
        (ignored.length ? ` (e.g. ${ignored[0]} does not)` : ''),
    );
  }
  return { format: 'filenames', stacks: groupStacks(entries, kind === 'defocus' ? 0 : undefined), ignored };
}
