// Why this file exists: the shipped expression ONNX models are produced by our own
// converters, so nothing else vouches for them. This proves, on real face crops and
// with a dynamic batch, that onnxruntime gives the same probabilities as TF.js does
// with the original weights (model A: tfjs-converter's own graph executor; model B:
// face-api's forward pass re-typed with tfjs-core ops, weights decoded by TF.js itself).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import {
  buildExpressionModels, expressionSourcePaths, EXPRESSION_A_FILE, EXPRESSION_A_LABELS, EXPRESSION_B_FILE,
  EXPRESSION_B_LABELS, FACE_API_PKG,
} from '../../src/tools/model-convert/convert-expression-models.js';
import { convertTfjsGraphModel } from '../../src/tools/model-convert/tfjs-graph-to-onnx.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url)); // dist/test/models -> repo root
const VENDOR = join(ROOT, 'models/vendor');
const DEMO = join(VENDOR, FACE_API_PKG, 'demo');
const TOLERANCE = 1e-4;

/** Square face boxes (x, y, side) in the 1920-px-wide originals, picked by eye. */
const CROPS = [
  { id: 'sample1-left', file: 'sample1.jpg', x: 395, y: 370, size: 250 },
  { id: 'sample1-middle', file: 'sample1.jpg', x: 805, y: 420, size: 250 },
  { id: 'sample1-right', file: 'sample1.jpg', x: 1440, y: 190, size: 260 },
  { id: 'sample3-left', file: 'sample3.jpg', x: 550, y: 370, size: 270 },
  { id: 'sample3-middle', file: 'sample3.jpg', x: 1045, y: 260, size: 280 },
  { id: 'sample3-right', file: 'sample3.jpg', x: 1465, y: 330, size: 280 }, // broad smile with teeth
];
const CLEARLY_SMILING = 'sample3-right';

const exec = promisify(execFile);
const readOrSetup = async (path: string): Promise<Buffer> => {
  try {
    return await readFile(path);
  } catch {
    throw new Error(`vendored model/demo file ${path} is missing: run the set-up first (npm run build && npm run models)`);
  }
};

/** ffmpeg crop + scale to S x S, raw RGB24. */
async function cropRgb(c: (typeof CROPS)[number], S: number): Promise<Uint8Array> {
  const file = join(DEMO, c.file);
  await readOrSetup(file);
  const { stdout } = await exec('ffmpeg', [
    '-v', 'error', '-i', file, '-vf', `crop=${c.size}:${c.size}:${c.x}:${c.y},scale=${S}:${S}`,
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-',
  ], { encoding: 'buffer', maxBuffer: 1 << 24 });
  assert.equal(stdout.length, S * S * 3, `ffmpeg returned ${stdout.length} bytes for ${c.id}`);
  return new Uint8Array(stdout);
}

/** Model A preprocessing: grayscale, scaled to [-1, 1]; returns [N,64,64,1]. */
async function inputA(): Promise<Float32Array> {
  const out = new Float32Array(CROPS.length * 64 * 64);
  for (const [n, c] of CROPS.entries()) {
    const rgb = await cropRgb(c, 64);
    for (let p = 0; p < 64 * 64; p++) {
      const gray = 0.2989 * rgb[3 * p]! + 0.587 * rgb[3 * p + 1]! + 0.114 * rgb[3 * p + 2]!;
      out[n * 64 * 64 + p] = (gray / 255 - 0.5) * 2;
    }
  }
  return out;
}

/** Model B preprocessing (face-api FaceFeatureExtractor): (rgb - mean) / 255; returns [N,112,112,3]. */
async function inputB(): Promise<Float32Array> {
  const mean = [122.782, 117.001, 104.298];
  const px = 112 * 112 * 3;
  const out = new Float32Array(CROPS.length * px);
  for (const [n, c] of CROPS.entries()) {
    const rgb = await cropRgb(c, 112);
    for (let i = 0; i < px; i++) out[n * px + i] = (rgb[i]! - mean[i % 3]!) / 255;
  }
  return out;
}

async function runOnnx(model: Uint8Array, data: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const result = await session.run({ input: new ort.Tensor('float32', data, shape) });
  const probs = result.probs!;
  assert.deepEqual(probs.dims, [shape[0], 7]);
  return probs.data as Float32Array;
}

const sources = async () => {
  const p = expressionSourcePaths(VENDOR);
  return {
    aJson: JSON.parse((await readOrSetup(p.aJson)).toString('utf8')),
    aBin: await readOrSetup(p.aBin),
    bManifest: JSON.parse((await readOrSetup(p.bManifest)).toString('utf8')),
    bBin: await readOrSetup(p.bBin),
  };
};
const arrayBufferOf = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const flatSpecs = (manifest: { weights: tf.io.WeightsManifestEntry[] }[]) => manifest.flatMap((g) => g.weights);

/** Reference A: TF.js's own graph executor on the original graph model. */
async function referenceA(src: Awaited<ReturnType<typeof sources>>, x: Float32Array): Promise<Float32Array> {
  const model = await loadGraphModel(tf.io.fromMemory({
    modelTopology: src.aJson.modelTopology,
    format: src.aJson.format,
    generatedBy: src.aJson.generatedBy,
    convertedBy: src.aJson.convertedBy,
    userDefinedMetadata: src.aJson.userDefinedMetadata,
    weightSpecs: flatSpecs(src.aJson.weightsManifest),
    weightData: arrayBufferOf(src.aBin),
  }));
  const y = model.execute(tf.tensor4d(x, [CROPS.length, 64, 64, 1])) as tf.Tensor;
  return y.dataSync() as Float32Array;
}

/** Reference B: face-api's FaceExpressionNet forward pass (denseBlock4 x4, avgPool, fc, softmax) in tfjs-core ops. */
function referenceB(src: Awaited<ReturnType<typeof sources>>, x: Float32Array): Float32Array {
  const W = tf.io.decodeWeights(arrayBufferOf(src.bBin), flatSpecs(src.bManifest));
  const t = <T extends tf.Tensor>(name: string): T => {
    assert.ok(W[name], `missing weight ${name}`);
    return W[name] as T;
  };
  const sep = (v: tf.Tensor4D, p: string, s: [number, number]): tf.Tensor4D =>
    tf.add(tf.separableConv2d(v, t<tf.Tensor4D>(`${p}/depthwise_filter`), t<tf.Tensor4D>(`${p}/pointwise_filter`), s, 'same'), t(`${p}/bias`));
  const dense4 = (v: tf.Tensor4D, p: string, first: boolean): tf.Tensor4D => {
    const out1 = tf.relu(first
      ? tf.add(tf.conv2d(v, t<tf.Tensor4D>(`${p}/conv0/filters`), [2, 2], 'same'), t(`${p}/conv0/bias`))
      : sep(v, `${p}/conv0`, [2, 2])) as tf.Tensor4D;
    const out2 = sep(out1, `${p}/conv1`, [1, 1]);
    const in3 = tf.relu(tf.add(out1, out2)) as tf.Tensor4D;
    const out3 = sep(in3, `${p}/conv2`, [1, 1]);
    const in4 = tf.relu(tf.add(out1, tf.add(out2, out3))) as tf.Tensor4D;
    const out4 = sep(in4, `${p}/conv3`, [1, 1]);
    return tf.relu(tf.add(out1, tf.add(out2, tf.add(out3, out4)))) as tf.Tensor4D;
  };
  return tf.tidy(() => {
    let out = tf.tensor4d(x, [CROPS.length, 112, 112, 3]);
    out = dense4(out, 'dense0', true);
    out = dense4(out, 'dense1', false);
    out = dense4(out, 'dense2', false);
    out = dense4(out, 'dense3', false);
    out = tf.avgPool(out, [7, 7], [2, 2], 'valid');
    const logits = tf.add(tf.matMul(tf.reshape(out, [out.shape[0], -1]) as tf.Tensor2D, t<tf.Tensor2D>('fc/weights')), t('fc/bias'));
    return tf.softmax(logits).dataSync() as Float32Array;
  });
}

function compare(name: string, labels: string[], onnx: Float32Array, ref: Float32Array, diag: (m: string) => void): string[] {
  assert.equal(onnx.length, ref.length);
  let worst = 0;
  const tops: string[] = [];
  for (const [n, c] of CROPS.entries()) {
    const row = (a: Float32Array) => Array.from(a.subarray(n * 7, n * 7 + 7));
    const [o, r] = [row(onnx), row(ref)];
    const diff = Math.max(...o.map((v, k) => Math.abs(v - r[k]!)));
    worst = Math.max(worst, diff);
    assert.ok(diff <= TOLERANCE, `${name} ${c.id}: max |onnx - reference| = ${diff} > ${TOLERANCE}`);
    assert.ok(Math.abs(o.reduce((a, b) => a + b, 0) - 1) < 1e-4, `${name} ${c.id}: probabilities do not sum to 1`);
    const top = labels[o.indexOf(Math.max(...o))]!;
    assert.equal(top, labels[r.indexOf(Math.max(...r))], `${name} ${c.id}: top class differs from reference`);
    tops.push(top);
    diag(`${name} ${c.id}: top=${top} p=${Math.max(...o).toFixed(3)} maxAbsDiff=${diff.toExponential(2)}`);
  }
  diag(`${name}: max abs diff over batch of ${CROPS.length} = ${worst.toExponential(3)}`);
  return tops;
}

test('expression models: ONNX matches the TF.js reference on real face crops (dynamic batch)', async (t) => {
  await tf.setBackend('cpu');
  const src = await sources();
  const models = new Map((await buildExpressionModels(VENDOR)).map((m) => [m.file, m.bytes]));

  const xa = await inputA();
  const topsA = compare('A', EXPRESSION_A_LABELS, await runOnnx(models.get(EXPRESSION_A_FILE)!, xa, [CROPS.length, 64, 64, 1]),
    await referenceA(src, xa), (m) => t.diagnostic(m));

  const xb = await inputB();
  const topsB = compare('B', EXPRESSION_B_LABELS, await runOnnx(models.get(EXPRESSION_B_FILE)!, xb, [CROPS.length, 112, 112, 3]),
    referenceB(src, xb), (m) => t.diagnostic(m));

  const i = CROPS.findIndex((c) => c.id === CLEARLY_SMILING);
  assert.equal(topsA[i], 'happy', `model A on ${CLEARLY_SMILING}`);
  assert.equal(topsB[i], 'happy', `model B on ${CLEARLY_SMILING}`);

  // Batch of one gives the same row as inside the batch (the N dimension really is dynamic).
  const one = await runOnnx(models.get(EXPRESSION_B_FILE)!, xb.subarray(i * 112 * 112 * 3, (i + 1) * 112 * 112 * 3), [1, 112, 112, 3]);
  const batched = await runOnnx(models.get(EXPRESSION_B_FILE)!, xb, [CROPS.length, 112, 112, 3]);
  one.forEach((v, k) => assert.ok(Math.abs(v - batched[i * 7 + k]!) <= 1e-5));
});

test('expression models: conversion is deterministic and carries I/O and metadata', async () => {
  const [first, second] = [await buildExpressionModels(VENDOR), await buildExpressionModels(VENDOR)];
  const { onnx } = onnxProto;
  for (const [k, m] of first.entries()) {
    assert.deepEqual(m.bytes, second[k]!.bytes, `${m.file} differs between two conversions`);
    const model = onnx.ModelProto.decode(m.bytes);
    assert.equal(Number(model.opsetImport[0]!.version), 13);
    const graph = model.graph!;
    const [input, output] = [graph.input![0]!, graph.output![0]!];
    const dims = (v: typeof input) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    assert.equal(input.name, 'input');
    assert.equal(dims(input)[0], 'N');
    assert.equal(output.name, 'probs');
    assert.deepEqual(dims(output), ['N', 7]);
    const meta = Object.fromEntries(model.metadataProps.map((e) => [e.key, e.value]));
    assert.match(meta.source!, /@vladmandic\//);
    assert.deepEqual(JSON.parse(meta.labels!), m.file === EXPRESSION_A_FILE ? EXPRESSION_A_LABELS : EXPRESSION_B_LABELS);
  }
});

test('tfjs graph converter names the op it cannot convert', async () => {
  const src = await sources();
  const json = structuredClone(src.aJson);
  const relu = json.modelTopology.node.find((n: { op: string }) => n.op === 'Relu');
  relu.op = 'Erf';
  assert.throws(() => convertTfjsGraphModel(json, src.aBin, { source: 'test', labels: EXPRESSION_A_LABELS }), /unsupported TF op "Erf"/);
});
