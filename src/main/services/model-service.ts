/**
 * Models as the app sees them: the registry of shipped + user models, one lazily started inference engine shared by
 * autofocus, prediction and evaluation, and "take the retrained model back" (import into the user models folder).
 */
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ModelSummary } from '../../shared/schemas/app';
import { AppError } from '../../shared/errors';
import { InferenceEngine, ModelRegistry, onnxPathOf, readModelCard, type ModelInfo } from '../inference';

export class ModelService {
  readonly registry: ModelRegistry;
  private enginePromise: Promise<InferenceEngine> | null = null;

  constructor(
    readonly dirs: string[],
    private readonly userDir: string,
    private readonly threads?: number,
  ) {
    this.registry = new ModelRegistry(dirs);
  }

  /** The engine starts its worker on first use, so commands that never predict never pay for it. */
  engine(): Promise<InferenceEngine> {
    this.enginePromise ??= InferenceEngine.create({ threads: this.threads, registry: this.registry });
    return this.enginePromise;
  }

  async load(idOrPath: string): Promise<ModelInfo> {
    return (await this.engine()).load(idOrPath);
  }

  async list(): Promise<ModelSummary[]> {
    const entries = await this.registry.list();
    return entries.map((e) => ({
      id: e.id,
      name: e.card?.name ?? e.id,
      path: e.path,
      valid: e.valid,
      setupId: e.card?.optics.setup_id ?? null,
      ...(e.error ? { error: e.error.message } : {}),
    }));
  }

  async card(id: string) {
    const entry = (await this.registry.list()).find((e) => e.id === id);
    if (!entry) throw new AppError('NOT_FOUND', `No model "${id}" in ${this.dirs.join(', ')}`);
    if (!entry.card) throw new AppError('MODEL', entry.error?.message ?? `Model "${id}" has no readable card`);
    return { ...entry, card: entry.card };
  }

  /**
   * Copy a retrained model (its .onnx and its card) into the user models folder. The pair is checked first by loading
   * it for real (card, hash, inputs/outputs, a warm-up run); only then are both files moved into place.
   */
  async import(path: string, options: { replace?: boolean } = {}): Promise<ModelSummary> {
    const engine = await this.engine();
    const cardPath = path.endsWith('.onnx') ? path.replace(/\.onnx$/, '.json') : path;
    const card = await readModelCard(cardPath);
    const onnx = onnxPathOf(cardPath, card);
    const wasLoaded = engine.loaded().some((m) => m.id === card.id);
    const info = await engine.load(cardPath);
    if (!wasLoaded) await engine.unload(info.id);
    const existing = (await this.registry.list()).find((e) => e.id === card.id && e.dir === this.userDir);
    if (existing && !options.replace) {
      throw new AppError('CONFLICT', `A user model "${card.id}" already exists: import with replace to overwrite it`);
    }
    await mkdir(this.userDir, { recursive: true });
    const stem = join(this.userDir, card.id);
    const tmp = `${stem}.importing`;
    try {
      await copyFile(onnx, `${tmp}.onnx`);
      await copyFile(cardPath, `${tmp}.json`);
      await rename(`${tmp}.onnx`, `${stem}.onnx`);
      await rename(`${tmp}.json`, `${stem}.json`);
    } catch (err) {
      await Promise.allSettled([rm(`${tmp}.onnx`, { force: true }), rm(`${tmp}.json`, { force: true })]);
      throw err;
    }
    const summary = (await this.list()).find((m) => m.path === `${stem}.onnx`);
    if (!summary) throw new AppError('MODEL', `Imported ${basename(onnx)} but it is not listed`);
    return summary;
  }

  async close(): Promise<void> {
    const engine = this.enginePromise;
    this.enginePromise = null;
    if (engine) await (await engine).close();
  }
}
