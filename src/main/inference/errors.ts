/** Errors of the inference engine: one human message and a stable `code` the UI/CLI can branch on. */
export type InferenceErrorCode =
  | 'model-not-found' // no card/ONNX file for that id or path
  | 'card-invalid' // the card is not valid JSON or misses/garbles fields
  | 'card-version' // the card's card_version is unknown to this app
  | 'card-mismatch' // the card's sha256/size does not match the ONNX file
  | 'io-mismatch' // the session's input/output names differ from the card
  | 'input-shape' // the model's input dims are not the card's (3 x H x W with a dynamic batch axis)
  | 'model-corrupt' // onnxruntime could not read the ONNX file
  | 'not-loaded' // predict/unload on a model that is not loaded
  | 'bad-input' // a batch of the wrong length/shape, or a non-finite value
  | 'inference-failed' // onnxruntime failed while running
  | 'worker-crashed' // the worker thread died during the call (it is restarted)
  | 'engine-closed'; // the engine was closed

export class InferenceError extends Error {
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'InferenceError';
  }
}

/** The shape an InferenceError takes to cross the worker boundary. */
export interface SerializedInferenceError {
  code: InferenceErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export function serializeError(err: unknown, fallback: InferenceErrorCode): SerializedInferenceError {
  if (err instanceof InferenceError) return { code: err.code, message: err.message, details: err.details };
  return { code: fallback, message: err instanceof Error ? err.message : String(err) };
}

export function deserializeError(e: SerializedInferenceError): InferenceError {
  return new InferenceError(e.code, e.message, e.details);
}
