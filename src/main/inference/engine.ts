/**
 * The inference engine: ONNX models run by onnxruntime-node (CPU) in one worker thread, one session per loaded model.
 * Every model is checked against its card at load (file hash and size, input/output names, 3 x H x W input with a
 * dynamic batch axis) and warmed up; errors are InferenceError with a `code`. If the worker dies, the calls in flight
 * fail with 'worker-crashed', a new worker starts and the loaded models are loaded into it again.
 */
import { availableParallelism } from 'node:os';
import type { ModelCard } from '../../shared/model-card';
import { checkFileAgainstCard, checkSessionAgainstCard, onnxPathOf, readModelCard } from './card-validation';
import { InferenceError } from './errors';
import { ModelRegistry, defaultModelDirs } from './registry';
import { WorkerClient } from './worker-client';

export interface ModelInfo {
  id: string;
  name: string;
  architecture: ModelCard['architecture'];
  card: ModelCard;
  cardPath: string;
  onnxPath: string;
  sizeBytes: number;
  inputName: string;
  outputName: string;
  /** Floats per patch: 3 * height * width. */
  patchLength: number;
  loadMs: number;
  warmupMs: number;
}

export interface EngineOptions {
  /** onnxruntime intra-op threads per run (default: min(available cores, 4)). */
  threads?: number;
  /** Where ids are looked up (default: the shipped models folder). */
  registry?: ModelRegistry;
  /** Largest batch sent to onnxruntime in one run; bigger predictions are split (default 64). */
  maxBatch?: number;
}

export interface PredictOptions {
  /**
   * Hand the batch's buffer to the worker instead of copying it: after the call the caller's array may be detached
   * (it is when the batch fits one run and spans its whole ArrayBuffer). Saves a copy of a frame's 50 MB batch.
   */
  transfer?: boolean;
}

/**
 * More crashes than this within CRASH_WINDOW_MS and the engine stops restarting on its own: the loaded models are
 * dropped and a fresh worker starts only at the next call (a worker that dies at start-up must not respawn forever).
 */
const MAX_CRASHES = 3;
const CRASH_WINDOW_MS = 60_000;

export class InferenceEngine {
  readonly threads: number;
  readonly maxBatch: number;
  readonly registry: ModelRegistry;
  private clientOrNone: WorkerClient | undefined;
  private ready: Promise<void> = Promise.resolve();
  private readonly models = new Map<string, ModelInfo>();
  private readonly crashTimes: number[] = [];
  private closed = false;
  /** How many times the worker was restarted after a crash, and why it last stopped. */
  restarts = 0;
  lastCrash?: string;

  private constructor(options: EngineOptions) {
    const threads = options.threads ?? Math.min(availableParallelism(), 4);
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`threads must be a positive integer, got ${threads}`);
    const maxBatch = options.maxBatch ?? 64;
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
    this.threads = threads;
    this.maxBatch = maxBatch;
    this.registry = options.registry ?? new ModelRegistry(defaultModelDirs());
    this.clientOrNone = this.spawnClient();
  }

  static async create(options: EngineOptions = {}): Promise<InferenceEngine> {
    return new InferenceEngine(options);
  }

  /** Loads (or reloads) a model by id, card path or ONNX path, after checking it against its card. */
  async load(cardPathOrId: string): Promise<ModelInfo> {
    this.assertOpen();
    const t0 = performance.now();
    const cardPath = await this.registry.resolve(cardPathOrId);
    const card = await readModelCard(cardPath);
    const onnxPath = onnxPathOf(cardPath, card);
    await checkFileAgainstCard(card, onnxPath);
    await this.ready;
    const { session } = await this.client.request({ op: 'load', modelId: card.id, onnxPath, threads: this.threads });
    this.models.delete(card.id);
    try {
      checkSessionAgainstCard(card, session!);
    } catch (err) {
      await this.client.request({ op: 'unload', modelId: card.id }).catch(() => undefined);
      throw err;
    }
    const info: ModelInfo = {
      id: card.id,
      name: card.name,
      architecture: card.architecture,
      card,
      cardPath,
      onnxPath,
      sizeBytes: card.size_bytes,
      inputName: card.input.name,
      outputName: card.output.name,
      patchLength: 3 * card.input.height * card.input.width,
      loadMs: 0,
      warmupMs: 0,
    };
    info.loadMs = performance.now() - t0;
    const t1 = performance.now();
    // The first run allocates onnxruntime's buffers and picks kernels: pay it now, not on the first autofocus.
    await this.run(info, new Float32Array(info.patchLength), 1, false);
    info.warmupMs = performance.now() - t1;
    this.models.set(info.id, info);
    return info;
  }

  /**
   * Runs `n` patches (NCHW float32, already preprocessed: see preprocess.ts) and returns one defocus (um) per patch.
   */
  async predict(modelId: string, batch: Float32Array, n: number, options: PredictOptions = {}): Promise<Float32Array> {
    this.assertOpen();
    await this.ready;
    const info = this.models.get(modelId);
    if (!info) {
      throw new InferenceError(
        'not-loaded',
        `model ${modelId} is not loaded${this.models.size ? ` (loaded: ${[...this.models.keys()].join(', ')})` : ''}`,
      );
    }
    if (!(batch instanceof Float32Array)) throw new InferenceError('bad-input', 'the batch must be a Float32Array');
    if (!Number.isInteger(n) || n < 1)
      throw new InferenceError('bad-input', `the number of patches must be a positive integer, got ${n}`);
    const { height, width } = info.card.input;
    if (batch.length !== n * info.patchLength) {
      throw new InferenceError(
        'bad-input',
        `the batch holds ${batch.length} floats but ${n} patches of 3x${height}x${width} need ${n * info.patchLength}` +
          (batch.length % info.patchLength === 0 ? ` (it holds ${batch.length / info.patchLength} patches)` : ''),
        { length: batch.length, n, patch: [3, height, width] },
      );
    }
    if (n <= this.maxBatch) return this.run(info, batch, n, options.transfer ?? false);
    // Even chunks (88 patches -> 44 + 44, not 64 + 24): the same batch shape twice reuses onnxruntime's buffers.
    const chunkSize = Math.ceil(n / Math.ceil(n / this.maxBatch));
    const out = new Float32Array(n);
    for (let start = 0; start < n; start += chunkSize) {
      const count = Math.min(chunkSize, n - start);
      const chunk = batch.slice(start * info.patchLength, (start + count) * info.patchLength);
      out.set(await this.run(info, chunk, count, true), start);
    }
    return out;
  }

  async unload(modelId: string): Promise<void> {
    this.assertOpen();
    if (!this.models.delete(modelId)) throw new InferenceError('not-loaded', `model ${modelId} is not loaded`);
    await this.ready;
    await this.client.request({ op: 'unload', modelId });
  }

  info(modelId: string): ModelInfo | undefined {
    return this.models.get(modelId);
  }

  loaded(): ModelInfo[] {
    return [...this.models.values()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.models.clear();
    await this.clientOrNone?.terminate();
  }

  /** Test hook: ends the worker thread as a native crash would, to exercise the restart. */
  async simulateWorkerCrash(): Promise<void> {
    await this.ready;
    await this.client.request({ op: 'crash' }).catch(() => undefined);
    await this.ready;
  }

  private async run(info: ModelInfo, data: Float32Array, n: number, transfer: boolean): Promise<Float32Array> {
    const { height, width } = info.card.input;
    const canTransfer = transfer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    const { output } = await this.client.request(
      {
        op: 'run',
        modelId: info.id,
        inputName: info.inputName,
        outputName: info.outputName,
        data,
        dims: [n, 3, height, width],
      },
      canTransfer ? [data.buffer as ArrayBuffer] : [],
    );
    return output!;
  }

  private spawnClient(): WorkerClient {
    return new WorkerClient((reason) => this.restart(reason));
  }

  /** The running worker, or a fresh one after the engine gave up restarting on its own. */
  private get client(): WorkerClient {
    this.clientOrNone ??= this.spawnClient();
    return this.clientOrNone;
  }

  private restart(reason: string): void {
    if (this.closed) return;
    this.restarts++;
    this.lastCrash = reason;
    const now = Date.now();
    this.crashTimes.push(now);
    while (this.crashTimes.length && now - this.crashTimes[0] > CRASH_WINDOW_MS) this.crashTimes.shift();
    const models = [...this.models.values()];
    if (this.crashTimes.length > MAX_CRASHES) {
      this.clientOrNone = undefined;
      this.models.clear();
      this.crashTimes.length = 0;
      this.ready = Promise.resolve();
      return;
    }
    const client = (this.clientOrNone = this.spawnClient());
    this.ready = (async () => {
      for (const m of models) {
        try {
          await client.request({ op: 'load', modelId: m.id, onnxPath: m.onnxPath, threads: this.threads });
        } catch {
          this.models.delete(m.id);
        }
      }
    })();
  }

  private assertOpen(): void {
    if (this.closed) throw new InferenceError('engine-closed', 'the inference engine is closed');
  }
}
