// Loads an exported ONNX model in the project's runtime (onnxruntime-node) and compares its outputs with
// the PyTorch outputs recorded at export: the smoke check that an exported model serves as exported.
//   node training/check-onnx.mjs MODEL.onnx MODEL.parity.json
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [model, parityFile] = process.argv.slice(2);
if (!model || !parityFile) {
  console.error('usage: node training/check-onnx.mjs MODEL.onnx MODEL.parity.json');
  process.exit(2);
}
const parity = JSON.parse(readFileSync(parityFile, 'utf8'));
const session = await ort.InferenceSession.create(readFileSync(model), { executionProviders: ['cpu'] });
const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(parity.input), parity.input_shape) });
let worst = 0;
out.logits.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - parity.logits[i]))));
console.log(JSON.stringify({ model, outputs: out.logits.data.length, maxAbsDiff: worst }));
process.exit(worst <= 1e-4 ? 0 : 1);
