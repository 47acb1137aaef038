// Loads an exported fusion model in the project's runtime (onnxruntime-node) and compares its outputs
// with the PyTorch outputs recorded at export, for every recorded case (different B and T).
//   node training/check-fusion-onnx.mjs MODEL.onnx MODEL.parity.json
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [model, parityFile] = process.argv.slice(2);
if (!model || !parityFile) {
  console.error('usage: node training/check-fusion-onnx.mjs MODEL.onnx MODEL.parity.json');
  process.exit(2);
}
const parity = JSON.parse(readFileSync(parityFile, 'utf8'));
const session = await ort.InferenceSession.create(readFileSync(model), { executionProviders: ['cpu'] });
let worst = 0;
const shapes = [];
for (const c of parity.cases) {
  const feeds = Object.fromEntries(Object.entries(c.inputs).map(([name, t]) => [name, new ort.Tensor('float32', Float32Array.from(t.data), t.shape)]));
  const out = await session.run(feeds);
  for (const [name, expected] of Object.entries(c.outputs)) {
    if (out[name].data.length !== expected.length) throw new Error(`${name}: ${out[name].data.length} values, expected ${expected.length}`);
    out[name].data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]))));
  }
  shapes.push(c.inputs.face.shape);
}
console.log(JSON.stringify({ model, cases: shapes, maxAbsDiff: worst }));
process.exit(worst <= 1e-4 ? 0 : 1);
