/**
 * Small ONNX fusion models with fixed weights, built with the project's own ONNX builder, to prove
 * the model-pack interface the training issue fills: a temporal fusion model that computes exactly the
 * parameter-free dilated fusion, and a cross-modal attention head with seeded weights (visual queries
 * over audio keys/values, concatenated, regressed to valence and arousal).
 */
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder } from '../model-convert/onnx-builder.js';
import { ROOT } from './media.js';
import { FACE_FEATURES, VOICE_FEATURES, VOICE_AROUSAL } from '../../core/fusion-layout.js';

/** The default pack's speech embedding size. */
export const EMBEDDING_DIMS = 96;

const INPUTS = { face: 'face', voice: 'voice', weights: 'weights', current: 'current' };
const io = (voiceDims: number) => [
  { name: INPUTS.face, shape: ['B', 'T', FACE_FEATURES] },
  { name: INPUTS.voice, shape: ['B', 'T', voiceDims] },
  { name: INPUTS.weights, shape: ['B', 'T', 2] },
  { name: INPUTS.current, shape: ['B', 'T'] },
];

function slice(g: GraphBuilder, x: string, from: number, to: number, axis: number, name: string): string {
  return g.node('Slice', [x, g.addInt64Initializer(`${name}_s`, [1], [from]), g.addInt64Initializer(`${name}_e`, [1], [to]), g.addInt64Initializer(`${name}_a`, [1], [axis])], name);
}

/** The parameter-free temporal fusion (dilated-fusion.ts) as an ONNX graph; `voiceDims` > VOICE_FEATURES when rows carry the speech embedding (unused here). */
export function temporalFusionModel(dilations: readonly number[], taps: number, voiceDims = VOICE_FEATURES): Uint8Array {
  const g = new GraphBuilder();
  for (const n of Object.values(INPUTS)) g.unique(n);
  const wf = slice(g, INPUTS.weights, 0, 1, 2, 'wf');
  const wv = slice(g, INPUTS.weights, 1, 2, 2, 'wv');
  const faceWeighted = g.node('Mul', [slice(g, INPUTS.face, 0, FACE_FEATURES, 2, 'fp'), wf], 'fw');
  // Voice arousal then the 8 voice probabilities: the row layout of dilated-fusion.ts.
  const voiceWeighted = g.node('Mul', [slice(g, INPUTS.voice, VOICE_AROUSAL, VOICE_FEATURES, 2, 'vp'), wv], 'vw');
  const rows = g.node('Concat', [faceWeighted, wf, voiceWeighted, wv], 'rows', { axis: { i: 2 } });
  const channels = FACE_FEATURES + 1 + (VOICE_FEATURES - VOICE_AROUSAL) + 1;
  const x = g.node('Transpose', [rows], 'x', { perm: { ints: [0, 2, 1] } });
  const kernel = g.addFloatInitializer('kernel', [channels, 1, taps], new Float32Array(channels * taps).fill(1 / dilations.length));
  const convs = dilations.map((d) => g.node('Conv', [x, kernel], `dil${d}`, { group: { i: channels }, dilations: { ints: [d] }, pads: { ints: [(taps - 1) * d, 0] }, kernel_shape: { ints: [taps] } }));
  const y = convs.slice(1).reduce((acc, c) => g.node('Add', [acc, c], 'sum'), convs[0]!);
  const mask = g.node('Unsqueeze', [INPUTS.current, g.addInt64Initializer('ax1', [1], [1])], 'mask');
  const pooled = g.node('ReduceSum', [g.node('Mul', [y, mask], 'masked'), g.addInt64Initializer('ax2', [1], [2])], 'pooled', { keepdims: { i: 0 } });
  const eps = g.addFloatInitializer('eps', [1], new Float32Array([1e-12]));
  // Pooled channels: face probs 0–7, face valence 8, face arousal 9, face mass 10, voice arousal 11, voice probs 12–19, voice mass 20.
  const faceMass = slice(g, pooled, 10, 11, 1, 'mf');
  const mass = g.node('Max', [g.node('Add', [faceMass, slice(g, pooled, 20, 21, 1, 'mv')], 'mass0'), eps], 'mass');
  const expression = g.node('Div', [g.node('Add', [slice(g, pooled, 0, 8, 1, 'fe'), slice(g, pooled, 12, 20, 1, 've')], 'e0'), mass], 'expr');
  g.node('Log', [g.node('Max', [expression, eps], 'expr_pos')], 'logits');
  g.node('Div', [slice(g, pooled, 8, 9, 1, 'fv'), g.node('Max', [faceMass, eps], 'mf_pos')], 'valence');
  g.node('Div', [g.node('Add', [slice(g, pooled, 9, 10, 1, 'fa'), slice(g, pooled, 11, 12, 1, 'va')], 'a0'), mass], 'arousal');
  return g.toModelBytes({
    inputs: io(voiceDims),
    outputs: [{ name: 'logits', shape: ['B', 8] }, { name: 'valence', shape: ['B', 1] }, { name: 'arousal', shape: ['B', 1] }],
    graphName: 'temporal_fusion_parameter_free',
    metadata: { purpose: 'test: the parameter-free dilated fusion as a model', dilations: dilations.join(','), taps: String(taps) },
  });
}

/** Seeded weights of the attention head (a linear congruential generator, so tests can recompute it). */
export function attentionWeights(dims = 4) {
  let state = 12345;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state / 2 ** 31 - 0.5) * 0.8;
  };
  const fill = (n: number) => Float32Array.from({ length: n }, next);
  return { dims, wq: fill(FACE_FEATURES * dims), wk: fill(VOICE_FEATURES * dims), wv: fill(VOICE_FEATURES * dims), wo: fill((FACE_FEATURES + dims) * 2), bo: fill(2) };
}

/** Cross-modal attention: face rows as queries over voice rows as keys and values (paper 2). */
export function crossModalAttentionModel(): Uint8Array {
  const w = attentionWeights();
  const g = new GraphBuilder();
  for (const n of Object.values(INPUTS)) g.unique(n);
  const q = g.node('MatMul', [INPUTS.face, g.addFloatInitializer('wq', [FACE_FEATURES, w.dims], w.wq)], 'q');
  const k = g.node('MatMul', [INPUTS.voice, g.addFloatInitializer('wk', [VOICE_FEATURES, w.dims], w.wk)], 'k');
  const v = g.node('MatMul', [INPUTS.voice, g.addFloatInitializer('wv', [VOICE_FEATURES, w.dims], w.wv)], 'v');
  const scores = g.node('Mul', [g.node('MatMul', [q, g.node('Transpose', [k], 'kt', { perm: { ints: [0, 2, 1] } })], 'qk'), g.addFloatInitializer('scale', [1], new Float32Array([1 / Math.sqrt(w.dims)]))], 'scores');
  const context = g.node('MatMul', [g.node('Softmax', [scores], 'attn', { axis: { i: 2 } }), v], 'context');
  const h = g.node('Concat', [INPUTS.face, context], 'h', { axis: { i: 2 } });
  const mask = g.node('Unsqueeze', [INPUTS.current, g.addInt64Initializer('ax2', [1], [2])], 'mask');
  const axis1 = g.addInt64Initializer('ax1', [1], [1]);
  const num = g.node('ReduceSum', [g.node('Mul', [h, mask], 'hm'), axis1], 'num', { keepdims: { i: 0 } });
  const den = g.node('ReduceSum', [mask, axis1], 'den', { keepdims: { i: 0 } });
  const pooled = g.node('Div', [num, g.node('Max', [den, g.addFloatInitializer('eps', [1], new Float32Array([1e-12]))], 'den_pos')], 'pooled');
  const out = g.node('Tanh', [g.node('Add', [g.node('MatMul', [pooled, g.addFloatInitializer('wo', [FACE_FEATURES + w.dims, 2], w.wo)], 'lin'), g.addFloatInitializer('bo', [2], w.bo)], 'lin_b')], 'va');
  slice(g, out, 0, 1, 1, 'valence');
  slice(g, out, 1, 2, 1, 'arousal');
  return g.toModelBytes({
    inputs: io(VOICE_FEATURES),
    outputs: [{ name: 'valence', shape: ['B', 1] }, { name: 'arousal', shape: ['B', 1] }],
    graphName: 'cross_modal_attention_seeded',
    metadata: { purpose: 'test: cross-modal attention head with seeded weights' },
  });
}

/** A copy of the default pack in `dir` with the given fusion models added to its manifest. */
export function packWithFusion(dir: string, models: { temporal?: Uint8Array; crossModal?: Uint8Array }, history = 16, speechEmbedding = false): string {
  cpSync(join(ROOT, 'models', 'default'), dir, { recursive: true });
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { models: Record<string, unknown> };
  const entry = (file: string, bytes: Uint8Array, outputs: Record<string, string>) => {
    writeFileSync(join(dir, file), bytes);
    const voiceFeatures = VOICE_FEATURES + (speechEmbedding ? EMBEDDING_DIMS : 0);
    return { file, sha256: createHash('sha256').update(bytes).digest('hex'), inputs: INPUTS, outputs, faceFeatures: FACE_FEATURES, voiceFeatures, speechEmbedding, history };
  };
  manifest.models.fusion = {
    ...(models.temporal ? { temporalFusion: entry('temporal-fusion.onnx', models.temporal, { logits: 'logits', valence: 'valence', arousal: 'arousal' }) } : {}),
    ...(models.crossModal ? { crossModalAttention: entry('cross-modal-attention.onnx', models.crossModal, { valence: 'valence', arousal: 'arousal' }) } : {}),
  };
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  return manifestPath;
}
