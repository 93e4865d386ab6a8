/**
 * Which slide images a synthetic generation renders: every image in a folder (or one file), optionally narrowed to a
 * list file and with some slides held out (--exclude), so the lead can keep slides out of training.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_SLIDE_PATH } from '../../hardware/optics/default-slide';
import { DatasetError } from '../dataset/errors';

const SLIDE_RE = /\.(png|jpe?g|tiff?)$/i;

export interface SlideSelection {
  /** A folder of slide images, or one image; default: the shipped default slide. */
  slides?: string;
  /** A text file naming the slides to use, one per line (a name in `slides`, or a path); '#' starts a comment. */
  slidesList?: string;
  /** Slide names (file name with or without extension) to leave out. */
  exclude?: string[];
}

export interface SimSlide {
  /** File name without extension: the slide's name in the dataset. */
  name: string;
  path: string;
}

export const slideNameOf = (file: string): string => path.basename(file).replace(/\.[^.]+$/, '');

function inFolder(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => SLIDE_RE.test(n) && !n.startsWith('.'))
    .sort()
    .map((n) => path.join(dir, n));
}

function fromList(listFile: string, base: string | null): string[] {
  let text: string;
  try {
    text = fs.readFileSync(listFile, 'utf8');
  } catch (err) {
    throw new DatasetError(
      'bad-input',
      `slide list ${listFile} cannot be read (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  const entries = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  return entries.map((e) => {
    const candidates = [path.resolve(path.dirname(listFile), e)];
    if (base)
      candidates.unshift(path.join(base, e), ...['.png', '.jpg', '.tif'].map((x) => path.join(base, `${e}${x}`)));
    const hit = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    if (!hit)
      throw new DatasetError('bad-input', `slide "${e}" from ${listFile} was not found${base ? ` in ${base}` : ''}`);
    return hit;
  });
}

export function resolveSimSlides(sel: SlideSelection): SimSlide[] {
  let files: string[];
  const base = sel.slides ? path.resolve(sel.slides) : null;
  if (base && !fs.existsSync(base)) throw new DatasetError('bad-input', `--slides: ${base} does not exist`);
  const baseDir = base && fs.statSync(base).isDirectory() ? base : null;
  if (sel.slidesList) files = fromList(path.resolve(sel.slidesList), baseDir);
  else if (baseDir) files = inFolder(baseDir);
  else files = [base ?? DEFAULT_SLIDE_PATH];
  const excluded = new Set((sel.exclude ?? []).map((e) => slideNameOf(e.trim())).filter(Boolean));
  const unknown = [...excluded].filter((e) => !files.some((f) => slideNameOf(f) === e));
  if (unknown.length) {
    throw new DatasetError('bad-input', `--exclude names slides that are not in the selection: ${unknown.join(', ')}`);
  }
  const slides = files.filter((f) => !excluded.has(slideNameOf(f))).map((f) => ({ name: slideNameOf(f), path: f }));
  if (slides.length === 0)
    throw new DatasetError('bad-input', 'no slide image left to render (check --slides and --exclude)');
  const names = new Set<string>();
  for (const s of slides) {
    if (names.has(s.name))
      throw new DatasetError('bad-input', `two slides are named ${s.name}; slide names must be unique`);
    names.add(s.name);
  }
  return slides;
}

/** Unstained, phase-like samples render with the phase term dominating (the BBBC034 hiPSC image). */
export function sampleKindOf(slide: SimSlide): 'stained' | 'unstained' {
  return /unstained|^BF_/i.test(slide.name) ? 'unstained' : 'stained';
}

export function stainOf(slide: SimSlide): string | null {
  if (sampleKindOf(slide) === 'unstained') return null;
  if (/^IHC|ihc/i.test(slide.name)) return 'IHC (DAB)';
  return 'H&E';
}
