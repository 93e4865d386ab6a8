/** Messages between the InferenceEngine (main thread) and its worker. */
import type { SessionInfo } from './card-validation';
import type { SerializedInferenceError } from './errors';

export type WorkerRequest =
  | { id: number; op: 'load'; modelId: string; onnxPath: string; threads: number }
  | {
      id: number;
      op: 'run';
      modelId: string;
      inputName: string;
      outputName: string;
      data: Float32Array;
      dims: number[];
    }
  | { id: number; op: 'unload'; modelId: string }
  /** Test hook: ends the worker thread as a crash would. */
  | { id: number; op: 'crash' };

export type WorkerReply =
  | { id: number; ok: true; session?: SessionInfo; output?: Float32Array }
  | { id: number; ok: false; error: SerializedInferenceError };
