/**
 * Inference worker: owns the onnxruntime sessions, one per loaded model. onnxruntime-node's run() blocks the thread it
 * runs on, so it runs here and the main thread's event loop stays free. Every failure is answered as an error reply;
 * nothing thrown here should end the thread.
 */
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { SessionInfo, ValueInfo } from './card-validation';
import { InferenceError, serializeError } from './errors';
import type { WorkerReply, WorkerRequest } from './protocol';

const sessions = new Map<string, ort.InferenceSession>();

function valueInfo(meta: ort.InferenceSession.ValueMetadata): ValueInfo {
  if (!meta.isTensor) return { name: meta.name, isTensor: false };
  return { name: meta.name, isTensor: true, type: meta.type, shape: [...meta.shape] };
}

async function load(modelId: string, onnxPath: string, threads: number): Promise<SessionInfo> {
  await unload(modelId);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnxPath, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new InferenceError(
      'model-corrupt',
      `model ${modelId}: onnxruntime cannot read ${onnxPath} (${(err as Error).message.split('\n')[0]}); the file is corrupt or not an ONNX model`,
      { onnxPath },
    );
  }
  sessions.set(modelId, session);
  return { inputs: session.inputMetadata.map(valueInfo), outputs: session.outputMetadata.map(valueInfo) };
}

async function run(req: Extract<WorkerRequest, { op: 'run' }>): Promise<Float32Array> {
  const session = sessions.get(req.modelId);
  if (!session) throw new InferenceError('not-loaded', `model ${req.modelId} is not loaded`);
  let results: ort.InferenceSession.ReturnType;
  try {
    results = await session.run({ [req.inputName]: new ort.Tensor('float32', req.data, req.dims) });
  } catch (err) {
    throw new InferenceError(
      'inference-failed',
      `model ${req.modelId}: inference failed: ${(err as Error).message.trim()}`,
      {
        dims: req.dims,
      },
    );
  }
  const out = results[req.outputName];
  const n = req.dims[0];
  if (!out || out.type !== 'float32' || out.data.length !== n) {
    throw new InferenceError(
      'inference-failed',
      `model ${req.modelId}: expected ${n} float32 outputs in "${req.outputName}", got ${out ? `${out.type} [${out.dims.join(', ')}]` : 'none'}`,
    );
  }
  return Float32Array.from(out.data as Float32Array);
}

async function unload(modelId: string): Promise<void> {
  const session = sessions.get(modelId);
  sessions.delete(modelId);
  await session?.release();
}

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  switch (req.op) {
    case 'load':
      return { id: req.id, ok: true, session: await load(req.modelId, req.onnxPath, req.threads) };
    case 'run':
      return { id: req.id, ok: true, output: await run(req) };
    case 'unload':
      await unload(req.modelId);
      return { id: req.id, ok: true };
    case 'crash':
      process.exit(70);
  }
}

const port = parentPort;
if (!port) throw new Error('inference worker must run in a worker thread');
// One request at a time: a session is not re-entered and replies come back in order.
let queue: Promise<void> = Promise.resolve();
port.on('message', (req: WorkerRequest) => {
  queue = queue.then(async () => {
    let reply: WorkerReply;
    try {
      reply = await handle(req);
    } catch (err) {
      reply = { id: req.id, ok: false, error: serializeError(err, 'inference-failed') };
    }
    port.postMessage(reply, reply.ok && reply.output ? [reply.output.buffer as ArrayBuffer] : []);
  });
});
