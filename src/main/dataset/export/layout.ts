/**
 * The export layout's manifest columns (DESIGN.md, "Export layout"): written by exportDataset, read
 * by the evaluation (export-reader.ts) and by training/ (Python, which checks the same names).
 */
export const MANIFEST_COLUMNS = [
  'path',
  'split',
  'stack_id',
  'slide_id',
  'setup_id',
  'defocus_um',
  'z_um',
  'z_focus_um',
  'pixel_size_um',
  'magnification',
  'na',
  'channels',
  'bit_depth',
  'width',
  'height',
  'patch_x',
  'patch_y',
  'source',
] as const;
