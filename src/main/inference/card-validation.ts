/**
 * Checks a model card against the ONNX file it describes (hash, size) and against the session onnxruntime built from
 * it (input/output names, dtype, dims). Used by the engine at load and by the registry when it lists models.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelCardFormatError, parseModelCardJson, type ModelCard } from '../../shared/model-card';
import { InferenceError } from './errors';

/** What the worker reports about a session's inputs/outputs (onnxruntime's ValueMetadata, made cloneable). */
export interface ValueInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  /** Numbers are fixed sizes; strings (or -1) are symbolic/dynamic axes. Empty when unknown. */
  shape?: Array<number | string>;
}

export interface SessionInfo {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

/** Reads and validates `<name>.json`. Throws InferenceError (model-not-found, card-invalid, card-version). */
export async function readModelCard(cardPath: string): Promise<ModelCard> {
  let text: string;
  try {
    text = await readFile(cardPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InferenceError(
      'model-not-found',
      code === 'ENOENT'
        ? `model card ${cardPath} does not exist`
        : `model card ${cardPath} cannot be read: ${(err as Error).message}`,
      { cardPath },
    );
  }
  try {
    return parseModelCardJson(text, `model card ${basename(cardPath)}`);
  } catch (err) {
    if (err instanceof ModelCardFormatError) throw new InferenceError(err.code, err.message, { cardPath });
    throw err;
  }
}

/** The ONNX file a card describes: its `file`, beside the card. */
export function onnxPathOf(cardPath: string, card: ModelCard): string {
  return join(dirname(cardPath), card.file);
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Size first (cheap), then the hash. Throws model-not-found or card-mismatch. */
export async function checkFileAgainstCard(card: ModelCard, onnxPath: string): Promise<void> {
  let size: number;
  try {
    const s = await stat(onnxPath);
    if (!s.isFile()) throw new Error('not a file');
    size = s.size;
  } catch {
    throw new InferenceError('model-not-found', `model ${card.id}: ONNX file ${onnxPath} is missing`, { onnxPath });
  }
  if (size !== card.size_bytes) {
    throw new InferenceError(
      'card-mismatch',
      `model ${card.id}: ${basename(onnxPath)} is ${size} bytes but its card says ${card.size_bytes}; the file is not the one the card describes (truncated or replaced)`,
      { onnxPath, size, expected: card.size_bytes },
    );
  }
  const sha = await sha256OfFile(onnxPath);
  if (sha !== card.sha256) {
    throw new InferenceError(
      'card-mismatch',
      `model ${card.id}: sha256 of ${basename(onnxPath)} is ${sha.slice(0, 12)}... but its card says ${card.sha256.slice(0, 12)}...; the file is not the one the card describes`,
      { onnxPath, sha256: sha, expected: card.sha256 },
    );
  }
}

function isDynamic(dim: number | string | undefined): boolean {
  return typeof dim === 'string' || dim === -1;
}

function describeShape(shape: Array<number | string> | undefined): string {
  return shape && shape.length > 0 ? `[${shape.join(', ')}]` : '(unknown)';
}

/**
 * The session must take exactly one float32 input named as the card says, shaped [batch, 3, H, W] with a dynamic
 * batch axis, and give a float32 output named as the card says, shaped [batch, 1].
 */
export function checkSessionAgainstCard(card: ModelCard, session: SessionInfo): void {
  const { input, output } = card;
  const inputNames = session.inputs.map((i) => i.name);
  const outputNames = session.outputs.map((o) => o.name);
  const modelInput = session.inputs.find((i) => i.name === input.name);
  const modelOutput = session.outputs.find((o) => o.name === output.name);
  if (!modelInput || session.inputs.length !== 1) {
    throw new InferenceError(
      'io-mismatch',
      `model ${card.id}: the card's input is "${input.name}" but the ONNX model's inputs are ${JSON.stringify(inputNames)}`,
      { inputNames, expected: input.name },
    );
  }
  if (!modelOutput) {
    throw new InferenceError(
      'io-mismatch',
      `model ${card.id}: the card's output is "${output.name}" but the ONNX model's outputs are ${JSON.stringify(outputNames)}`,
      { outputNames, expected: output.name },
    );
  }
  if (!modelInput.isTensor || (modelInput.type && modelInput.type !== 'float32')) {
    throw new InferenceError(
      'input-shape',
      `model ${card.id}: input "${input.name}" is ${modelInput.type ?? 'not a tensor'}, not float32`,
    );
  }
  const shape = modelInput.shape ?? [];
  const expected = `[batch, 3, ${input.height}, ${input.width}]`;
  if (shape.length !== 4 || shape[1] !== 3 || shape[2] !== input.height || shape[3] !== input.width) {
    throw new InferenceError(
      'input-shape',
      `model ${card.id}: the ONNX input "${input.name}" is ${describeShape(shape)} but the card needs ${expected}`,
      { shape, expected },
    );
  }
  if (!isDynamic(shape[0])) {
    throw new InferenceError(
      'input-shape',
      `model ${card.id}: the ONNX input's batch axis is fixed at ${shape[0]}; export it with a dynamic batch axis ${expected}`,
      { shape },
    );
  }
  const outShape = modelOutput.shape ?? [];
  if (outShape.length > 0 && (outShape.length !== 2 || (!isDynamic(outShape[1]) && outShape[1] !== 1))) {
    throw new InferenceError(
      'io-mismatch',
      `model ${card.id}: the ONNX output "${output.name}" is ${describeShape(outShape)}; the card needs [batch, 1]`,
      { shape: outShape },
    );
  }
}
