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
// A face record holds one batch (`input`, `logits`); a speech record holds cases of named inputs with
// their own time lengths (`cases: [{mel, mel_shape, embeddings, embeddings_shape, logits}]`).
const cases = parity.cases
  ? parity.cases.map((c) => ({
      feeds: Object.fromEntries(Object.entries(parity.inputs).map(([key, name]) => [name, new ort.Tensor('float32', Float32Array.from(c[key]), c[`${key}_shape`])])),
      logits: c.logits,
    }))
  : [{ feeds: { input: new ort.Tensor('float32', Float32Array.from(parity.input), parity.input_shape) }, logits: parity.logits }];
let worst = 0;
let outputs = 0;
for (const c of cases) {
  const out = await session.run(c.feeds);
  const logits = out[parity.output ?? 'logits'].data;
  outputs += logits.length;
  logits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - c.logits[i]))));
}
console.log(JSON.stringify({ model, cases: cases.length, outputs, maxAbsDiff: worst }));
process.exit(worst <= 1e-4 ? 0 : 1);
