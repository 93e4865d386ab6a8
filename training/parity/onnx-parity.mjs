// Runs an exported model in onnxruntime-node on inputs written by `python3 -m training.parity` and prints
// the largest absolute difference from PyTorch's outputs as JSON. Plain JS so it needs no build step.
//   node training/parity/onnx-parity.mjs <model.onnx> <data dir: meta.json, inputs.f32, expected.f32>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortModule from 'onnxruntime-node';

const ort = ortModule.InferenceSession ? ortModule : ortModule.default;

function readFloats(path) {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

function maxAbsDiff(actual, expected) {
  let worst = 0;
  for (let i = 0; i < expected.length; i += 1) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= worst)) worst = diff; // NaN propagates as the worst case
  }
  return worst;
}

async function main() {
  const [modelPath, dataDir] = process.argv.slice(2);
  if (!modelPath || !dataDir) {
    throw new Error('usage: node onnx-parity.mjs <model.onnx> <data dir>');
  }
  const meta = JSON.parse(readFileSync(join(dataDir, 'meta.json'), 'utf8'));
  const inputs = readFloats(join(dataDir, 'inputs.f32'));
  const expected = readFloats(join(dataDir, 'expected.f32'));
  const [n, c, h, w] = meta.input_shape;
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: meta.threads ?? 1,
    graphOptimizationLevel: 'all',
  });
  const batch = await session.run({ [meta.input_name]: new ort.Tensor('float32', inputs, [n, c, h, w]) });
  const output = batch[meta.output_name];
  // The first patch alone checks the dynamic batch axis.
  const single = await session.run({
    [meta.input_name]: new ort.Tensor('float32', inputs.slice(0, c * h * w), [1, c, h, w]),
  });
  const singleOutput = single[meta.output_name];
  const result = {
    n,
    output_dims: output.dims,
    single_dims: singleOutput.dims,
    max_abs_diff: maxAbsDiff(output.data, expected),
    max_abs_diff_batch1: maxAbsDiff(singleOutput.data, expected.slice(0, 1)),
    input_names: session.inputNames,
    output_names: session.outputNames,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`onnx-parity: ${error.message}\n`);
  process.exit(1);
});
