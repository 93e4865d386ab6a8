/**
 * The main-thread end of the inference worker: request/reply by id, a ref on the thread only while requests are in
 * flight (an idle engine does not keep a CLI process alive), and a crash callback when the thread dies.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../workers/spawn-worker';
import { InferenceError, deserializeError } from './errors';
import type { WorkerReply, WorkerRequest } from './protocol';

/**
 * The inference thread's stack (MB). onnxruntime recurses deeply while it builds a session for LDSE-NET's dense
 * graph, on the calling thread's native stack; a worker's default 4 MB left so little margin that a long command line
 * (`focus-station predict` with about 250 image paths) tipped it into a segmentation fault of the whole process.
 */
export const INFERENCE_STACK_MB = 64;

type Pending = { resolve: (reply: WorkerReply & { ok: true }) => void; reject: (err: Error) => void };
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

export class WorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private dead = false;

  constructor(onCrash: (reason: string) => void) {
    this.worker = spawnWorker(
      import.meta.url,
      { source: './worker.ts', bundled: 'inference-worker.js' },
      {
        name: 'inference',
        resourceLimits: { stackSizeMb: INFERENCE_STACK_MB },
      },
    );
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => this.settle(reply));
    let lastError = '';
    this.worker.on('error', (err) => {
      lastError = err.message;
    });
    this.worker.on('exit', (exitCode) => {
      this.dead = true;
      const reason = lastError || `exit code ${exitCode}`;
      this.failAll(
        this.closing
          ? new InferenceError('engine-closed', 'the inference engine was closed')
          : new InferenceError('worker-crashed', `the inference worker stopped (${reason}); it is being restarted`),
      );
      if (!this.closing) onCrash(reason);
    });
  }

  request(body: RequestBody, transfer: ArrayBuffer[] = []): Promise<WorkerReply & { ok: true }> {
    if (this.dead) return Promise.reject(new InferenceError('worker-crashed', 'the inference worker is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...body, id } as WorkerRequest, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private settle(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) p.resolve(reply);
    else p.reject(deserializeError(reply.error));
  }

  private failAll(err: InferenceError): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
