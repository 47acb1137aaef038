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
const tensor = (data, shape) => new ort.Tensor('float32', Float32Array.from(data), shape);

/**
 * The exporters' records, as cases of feeds and expected outputs by name:
 * - face: one batch (`input`, `input_shape`, `logits`);
 * - speech: `cases` of inputs keyed as `parity.inputs` names them (`mel`, `mel_shape`, …) and `logits`;
 * - fusion: `cases` of `inputs` ({name: {shape, data}}) and `outputs` ({name: values}), several B and T.
 */
function casesOf(record) {
  if (!record.cases) return [{ feeds: { input: tensor(record.input, record.input_shape) }, expected: { [record.output ?? 'logits']: record.logits } }];
  return record.cases.map((c) =>
    c.outputs
      ? { feeds: Object.fromEntries(Object.entries(c.inputs).map(([name, t]) => [name, tensor(t.data, t.shape)])), expected: c.outputs }
      : { feeds: Object.fromEntries(Object.entries(record.inputs).map(([key, name]) => [name, tensor(c[key], c[`${key}_shape`])])), expected: { [record.output ?? 'logits']: c.logits } },
  );
}

const cases = casesOf(parity);
let worst = 0;
let outputs = 0;
for (const c of cases) {
  const out = await session.run(c.feeds);
  for (const [name, expected] of Object.entries(c.expected)) {
    const got = out[name].data;
    if (got.length !== expected.length) throw new Error(`${name}: ${got.length} values, expected ${expected.length}`);
    outputs += got.length;
    got.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]))));
  }
}
console.log(JSON.stringify({ model, cases: cases.length, outputs, maxAbsDiff: worst }));
process.exit(worst <= 1e-4 ? 0 : 1);
