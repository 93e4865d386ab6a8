/**
 * Model discovery: `<name>.json` cards (with `<name>.onnx` beside them) in the app's shipped resources/models/ and in
 * a user models folder. Listing checks each card and its file hash; loading (engine) also checks the session.
 */
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import type { ModelCard } from '../../shared/model-card';
import { shippedModelsDir } from '../paths';
import { checkFileAgainstCard, onnxPathOf, readModelCard } from './card-validation';
import { InferenceError, type InferenceErrorCode } from './errors';

export interface ModelEntry {
  id: string;
  /** The validated card; absent when the card itself is unreadable. */
  card?: ModelCard;
  cardPath: string;
  /** The ONNX file. */
  path: string;
  /** The folder it was found in. */
  dir: string;
  valid: boolean;
  error?: { code: InferenceErrorCode; message: string };
}

export interface ListOptions {
  /** Hash every ONNX file against its card (default true; false only checks the cards and that the files exist). */
  verifyFiles?: boolean;
}

/**
 * The shipped models folder: `<resourcesPath>/models` in the packaged app, else `resources/models` of the project
 * root (found by walking up from this module to the folder holding package.json).
 */
export function defaultModelDirs(userModelsDir?: string): string[] {
  const dirs: string[] = [];
  if (userModelsDir) dirs.push(userModelsDir);
  dirs.push(shippedModelsDir());
  return dirs;
}

/** An argument that names a file rather than a model id. */
export function looksLikePath(idOrPath: string): boolean {
  return /[\\/]/.test(idOrPath) || /\.(json|onnx)$/i.test(idOrPath) || isAbsolute(idOrPath);
}

async function cardFilesIn(dir: string): Promise<{ cards: string[]; onnx: string[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return { cards: [], onnx: [] };
  }
  return {
    cards: names.filter((n) => extname(n).toLowerCase() === '.json').map((n) => join(dir, n)),
    onnx: names.filter((n) => extname(n).toLowerCase() === '.onnx').map((n) => join(dir, n)),
  };
}

async function entryFor(cardPath: string, verifyFiles: boolean): Promise<ModelEntry> {
  const dir = dirname(cardPath);
  const stem = basename(cardPath, extname(cardPath));
  let card: ModelCard | undefined;
  try {
    card = await readModelCard(cardPath);
    const path = onnxPathOf(cardPath, card);
    if (verifyFiles) await checkFileAgainstCard(card, path);
    else if (!existsSync(path))
      throw new InferenceError('model-not-found', `model ${card.id}: ONNX file ${path} is missing`);
    return { id: card.id, card, cardPath, path, dir, valid: true };
  } catch (err) {
    if (!(err instanceof InferenceError)) throw err;
    const path = card ? onnxPathOf(cardPath, card) : join(dir, `${stem}.onnx`);
    return {
      id: card?.id ?? stem,
      card,
      cardPath,
      path,
      dir,
      valid: false,
      error: { code: err.code, message: err.message },
    };
  }
}

export class ModelRegistry {
  readonly dirs: string[];

  constructor(dirs: string[]) {
    this.dirs = dirs.map((d) => resolve(d));
  }

  /** Every card in every folder (invalid ones too, with their error), and ONNX files that have no card. */
  async list(options: ListOptions = {}): Promise<ModelEntry[]> {
    const verifyFiles = options.verifyFiles ?? true;
    const entries: ModelEntry[] = [];
    const seen = new Map<string, ModelEntry>();
    for (const dir of this.dirs) {
      const { cards, onnx } = await cardFilesIn(dir);
      const described = new Set<string>();
      for (const cardPath of cards) {
        const entry = await entryFor(cardPath, verifyFiles);
        described.add(entry.path);
        const first = seen.get(entry.id);
        if (first) {
          entry.valid = false;
          entry.error = {
            code: 'card-invalid',
            message: `model id ${entry.id} is also in ${first.cardPath}, which is used instead`,
          };
        } else {
          seen.set(entry.id, entry);
        }
        entries.push(entry);
      }
      for (const path of onnx.filter((p) => !described.has(p))) {
        const id = basename(path, extname(path));
        entries.push({
          id,
          cardPath: join(dir, `${id}.json`),
          path,
          dir,
          valid: false,
          error: { code: 'card-invalid', message: `${basename(path)} has no model card (${id}.json) beside it` },
        });
      }
    }
    return entries;
  }

  /**
   * The card path for a model id (looked up in the folders, in order) or for a path to a card or an ONNX file
   * (its card is `<stem>.json` beside it). Throws model-not-found.
   */
  async resolve(idOrPath: string): Promise<string> {
    if (looksLikePath(idOrPath)) {
      const path = resolve(idOrPath);
      const cardPath = extname(path).toLowerCase() === '.onnx' ? path.slice(0, -'.onnx'.length) + '.json' : path;
      if (!isFile(cardPath)) {
        throw new InferenceError(
          'model-not-found',
          `no model card at ${cardPath}${cardPath !== path ? ` (for ${path})` : ''}`,
          {
            path,
          },
        );
      }
      return cardPath;
    }
    for (const dir of this.dirs) {
      const direct = join(dir, `${idOrPath}.json`);
      if (isFile(direct)) return direct;
    }
    // The id is normally the file stem; fall back to reading every card.
    const entries = await this.list({ verifyFiles: false });
    const match = entries.find((e) => e.card?.id === idOrPath);
    if (match) return match.cardPath;
    const known = [...new Set(entries.map((e) => e.id))];
    throw new InferenceError(
      'model-not-found',
      `no model "${idOrPath}" in ${this.dirs.length ? this.dirs.join(', ') : '(no model folders)'}${known.length ? `; available: ${known.join(', ')}` : ''}`,
      { id: idOrPath, dirs: this.dirs },
    );
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
