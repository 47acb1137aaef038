import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fusionOptionsOf, parseAnalysisSettings } from '../../src/server/analysis-settings.js';
import { ABAW_CLASSES } from '../../src/core/abaw.js';
import { fuseOffline, StreamFusion } from '../../src/fusion/stream-fusion.js';
import { makeFaceClip } from '../../src/tools/demo/make-demo-clip.js';
import { InferenceEngine } from '../../src/pipeline/inference-engine.js';
import { createWindowFuser } from '../../src/fusion/fusion-stage.js';
import type { AffectEvent } from '../../src/core/events.js';
import type { FusedWindow } from '../../src/fusion/window-fusion.js';
import { NO_FACE, photo, SMILING_FACE, tempDir } from '../../src/tools/harness/media.js';
import { runPipeline, type FusionRun } from '../helpers/fusion-run.js';
import { attentionWeights, crossModalAttentionModel, EMBEDDING_DIMS, packWithFusion, temporalFusionModel } from '../../src/tools/harness/fusion-models.js';
import { VOICE_FEATURES } from '../../src/core/fusion-layout.js';

/**
 * 12 s from the face-api demo photos and espeak-ng speech:
 *   0–3 s  smiling face, silence       → face weight ≈ 1
 *   3–6 s  no face, speech             → voice weight ≈ 1
 *   6–9 s  another woman's calmer face, silence
 *   9–12 s the smiling face again, speech starting with the change → one aligned key-frame pair
 */
async function makeAlignmentClip(path: string): Promise<void> {
  await makeFaceClip({
    output: path,
    segments: [
      { ...SMILING_FACE, image: photo('sample3.jpg'), seconds: 3 },
      { ...NO_FACE, image: photo('sample2.jpg'), seconds: 3, speech: 'Nobody is here, but I talk.' },
      { image: photo('sample1.jpg'), crop: { x: 150, y: 120, w: 690, h: 750 }, seconds: 3 },
      { ...SMILING_FACE, image: photo('sample3.jpg'), seconds: 3, speech: 'Oh, what wonderful news!', speechLeadIn: 0 },
    ],
  });
}

const TOLERANCE = 1e-4 + 1e-9;

function assertSameFusion(actual: FusedWindow, expected: FusedWindow, what: string): void {
  const near = (a: number | null, b: number | null, field: string) => {
    if (a === null || b === null) return assert.equal(a, b, `${what} ${field}`);
    assert.ok(Math.abs(a - b) <= TOLERANCE, `${what} ${field}: ${a} vs ${b}`);
  };
  assert.equal(actual.expression?.label, expected.expression?.label, `${what} label`);
  for (const c of ABAW_CLASSES) near(actual.expression?.probs[c] ?? null, expected.expression?.probs[c] ?? null, c);
  near(actual.valence, expected.valence, 'valence');
  near(actual.arousal, expected.arousal, 'arousal');
  near(actual.weights.face, expected.weights.face, 'face weight');
  near(actual.weights.voice, expected.weights.voice, 'voice weight');
  assert.deepEqual(actual.keyframes, expected.keyframes, `${what} key frames`);
}

describe('temporal fusion on real media (face-api photos, espeak-ng speech)', () => {
  let dir: string;
  let run: FusionRun;
  before(async () => {
    dir = tempDir();
    const clip = join(dir, 'alignment.mp4');
    await makeAlignmentClip(clip);
    run = await runPipeline(clip);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const second = (i: number): AffectEvent => run.events[i]!;

  it('gives the face weight ≈ 1 where there is a face and silence', () => {
    assert.equal(run.events.length, 12);
    for (const i of [0, 1, 2, 6, 7, 8]) {
      assert.ok(second(i).weights.face >= 0.99, `second ${i}: ${JSON.stringify(second(i).weights)}`);
      assert.ok(second(i).faces.length >= 1);
    }
  });

  it('gives the voice weight ≈ 1 where the face is hidden and speech goes on', () => {
    const speaking = [3, 4, 5].filter((i) => (second(i).voice?.speech_ratio ?? 0) > 0.3);
    assert.ok(speaking.length >= 2, `speech in ${speaking.length} of the hidden-face seconds`);
    for (const i of speaking) {
      assert.deepEqual(second(i).weights, { face: 0, voice: 1 }, `second ${i}`);
      assert.notEqual(second(i).expression, null, 'the voice alone still gives an expression distribution');
      assert.equal(second(i).valence, null, 'no face, no valence');
    }
  });

  it('aligns the speech onset next to the expression change into one key-frame pair', () => {
    const keys = run.events.flatMap((e) => e.keyframes);
    const face = keys.find((k) => k.modality === 'face' && k.t >= 8.95 && k.t <= 9.35);
    assert.ok(face, `a facial key frame at the change (9 s): ${JSON.stringify(keys)}`);
    const voice = keys.find((k) => k.modality === 'voice' && k.t >= 8.95 && k.t <= 9.4);
    assert.ok(voice, `a speech key frame at the onset: ${JSON.stringify(keys)}`);
    assert.equal(voice.paired_t, face.t, 'the onset is aligned with the expression change');
    const tolerance = parseAnalysisSettings({}).tolerance;
    assert.ok(Math.abs(voice.t - face.t) <= tolerance);
    // The onset at 3.3 s has no expression change near it (the face is gone): it stays alone.
    const lonely = keys.find((k) => k.modality === 'voice' && k.t >= 3 && k.t < 3.8);
    assert.ok(lonely && lonely.paired_t === null, `the onset without a face is not paired: ${JSON.stringify(lonely)}`);
    // The pair raises the face weight while both speak and smile, compared with the steady smile before.
    assert.ok(second(9).weights.face > 0 && second(9).weights.voice > 0);
  });

  it('streams exactly what the same fusion gives offline over the whole file (no look-ahead, no state lost)', () => {
    const offline = fuseOffline(run.analyses, fusionOptionsOf(parseAnalysisSettings({})));
    assert.equal(offline.length, run.events.length);
    offline.forEach((o, i) => assertSameFusion(second(i), o, `second ${i}`));
    // The temporal layer really reaches across windows: fusing each window from a fresh state differs.
    const isolated = run.analyses.map((a) => {
      const fusion = new StreamFusion(fusionOptionsOf(parseAnalysisSettings({})));
      const prepared = fusion.prepare(a);
      return fusion.finish(prepared, fusion.parameterFree(prepared));
    });
    assert.ok(isolated.some((w, i) => Math.abs((w.arousal ?? 0) - (second(i).arousal ?? 0)) > 1e-3), 'history changes the result');
  });

  it('runs a temporal fusion model declared in the manifest and gets the parameter-free events (ONNX in the workers)', async () => {
    const settings = parseAnalysisSettings({});
    const manifest = packWithFusion(join(dir, 'pack-temporal'), { temporal: temporalFusionModel(settings.dilations, 3) });
    const clip = join(dir, 'alignment.mp4');
    const withModel = await runPipeline(clip, { models: manifest });
    assert.equal(withModel.events.length, run.events.length);
    withModel.events.forEach((e, i) => assertSameFusion(e, second(i), `second ${i}`));
    // The model ran in the workers, once per window with a face or speech.
    const fusionRuns = withModel.stats.schedulers.find((sch) => sch.name === 'fusion');
    assert.equal(fusionRuns?.items, withModel.events.filter((e) => e.expression !== null).length);
  });

  it('feeds speech embeddings to a fusion model that asks for them', async () => {
    const settings = parseAnalysisSettings({});
    const model = temporalFusionModel(settings.dilations, 3, VOICE_FEATURES + EMBEDDING_DIMS);
    const manifest = packWithFusion(join(dir, 'pack-embedding'), { temporal: model }, 16, true);
    const withModel = await runPipeline(join(dir, 'alignment.mp4'), { models: manifest });
    // The rows grew by the embedding; the model reads only the prosody part, so the events are unchanged.
    withModel.events.forEach((e, i) => assertSameFusion(e, second(i), `second ${i}`));
    const fusion = new StreamFusion(fusionOptionsOf(settings), { temporal: true, crossModal: false, history: 16, embeddingDims: EMBEDDING_DIMS });
    const speaking = fusion.prepare(withModel.analyses[4]!);
    assert.equal(speaking.input.voiceDims, VOICE_FEATURES + EMBEDDING_DIMS);
    const embeddingPart = Array.from({ length: speaking.input.steps }, (_, t) => speaking.input.voice.subarray(t * speaking.input.voiceDims + VOICE_FEATURES, (t + 1) * speaking.input.voiceDims));
    assert.ok(withModel.analyses[4]!.voice!.embeddingCount >= 10, 'embeddings computed for the model');
    assert.ok(embeddingPart.slice(speaking.input.steps - 10).every((e) => e.some((x) => x !== 0)), 'every step of the window carries an embedding');
  });

  it('runs a cross-modal attention head declared in the manifest for valence and arousal', async () => {
    const manifest = packWithFusion(join(dir, 'pack-attention'), { crossModal: crossModalAttentionModel() });
    const engine = await InferenceEngine.create({ manifestPath: manifest, workers: 1 });
    try {
      const options = fusionOptionsOf(parseAnalysisSettings({}));
      const fuse = createWindowFuser(engine, options);
      const reference = new StreamFusion(options, engine.fusionModels);
      for (const [i, analysis] of run.analyses.entries()) {
        const fused = await fuse(analysis);
        const prepared = reference.prepare(analysis);
        const free = reference.parameterFree(prepared);
        const expected = StreamFusion.hasEvidence(prepared) ? attentionReference(prepared.input) : null;
        if (!expected) {
          assert.equal(fused.arousal, null);
          continue;
        }
        assert.ok(Math.abs(fused.arousal! - expected.arousal) <= TOLERANCE, `second ${i} arousal ${fused.arousal} vs ${expected.arousal}`);
        if (fused.valence !== null) assert.ok(Math.abs(fused.valence - expected.valence) <= TOLERANCE, `second ${i} valence`);
        // Expression still comes from the temporal fusion (parameter-free here).
        const label = ABAW_CLASSES[free.logits.indexOf(Math.max(...free.logits))];
        assert.equal(fused.expression?.label, label);
      }
    } finally {
      await engine.close();
    }
  });

  it('gives a blurred face less weight against the same speech than a sharp one', async () => {
    const clip = join(dir, 'blur.mp4');
    const speech = 'I am happy today.';
    await makeFaceClip({
      output: clip,
      segments: [
        { ...SMILING_FACE, image: photo('sample3.jpg'), seconds: 2, speech, speechLeadIn: 0.1 },
        { ...SMILING_FACE, image: photo('sample3.jpg'), seconds: 2, speech, speechLeadIn: 0.1, blur: 8 },
      ],
    });
    const blurRun = await runPipeline(clip);
    const [sharp, , blurred] = blurRun.events;
    assert.ok(sharp!.weights.voice > 0 && blurred!.weights.voice > 0, 'both seconds have speech');
    assert.ok(blurred!.weights.face < sharp!.weights.face - 0.2, `face weight sharp ${sharp!.weights.face}, blurred ${blurred!.weights.face}`);
    assert.equal(blurred!.expression?.label, 'Happiness', 'the blurred face still counts, only less');
  });

  it('refuses a fusion model whose feature sizes do not match the feature layout', () => {
    const manifest = packWithFusion(join(dir, 'pack-bad'), { crossModal: crossModalAttentionModel() });
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as { models: { fusion: { crossModalAttention: { faceFeatures: number } } } };
    json.models.fusion.crossModalAttention.faceFeatures = 7;
    writeFileSync(manifest, JSON.stringify(json));
    return assert.rejects(InferenceEngine.create({ manifestPath: manifest, workers: 1 }), /faceFeatures is 7/);
  });
});

/** The attention head of helpers/fusion-models.ts, in plain JS, from the same seeded weights. */
function attentionReference(input: { steps: number; face: Float32Array; voice: Float32Array; current: Float32Array; faceDims: number; voiceDims: number }) {
  const w = attentionWeights();
  const { steps: T, faceDims: F, voiceDims: V, dims: D } = { ...input, dims: w.dims };
  const project = (x: Float32Array, rows: number, inDims: number, m: Float32Array) =>
    Array.from({ length: rows }, (_, t) => Array.from({ length: D }, (_, d) => {
      let s = 0;
      for (let i = 0; i < inDims; i++) s += x[t * inDims + i]! * m[i * D + d]!;
      return s;
    }));
  const q = project(input.face, T, F, w.wq);
  const k = project(input.voice, T, V, w.wk);
  const v = project(input.voice, T, V, w.wv);
  const pooled = new Array<number>(F + D).fill(0);
  let count = 0;
  for (let t = 0; t < T; t++) {
    if (input.current[t] === 0) continue;
    const scores = k.map((kj) => kj.reduce((s, x, d) => s + x * q[t]![d]!, 0) / Math.sqrt(D));
    const max = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - max));
    const z = e.reduce((a, b) => a + b, 0);
    const context = Array.from({ length: D }, (_, d) => e.reduce((s, ej, j) => s + (ej / z) * v[j]![d]!, 0));
    for (let i = 0; i < F; i++) pooled[i]! += input.face[t * F + i]!;
    for (let d = 0; d < D; d++) pooled[F + d]! += context[d]!;
    count += 1;
  }
  const out = [0, 1].map((o) => Math.tanh(pooled.reduce((s, x, i) => s + (x / count) * w.wo[i * 2 + o]!, 0) + w.bo[o]!));
  return { valence: out[0]!, arousal: out[1]! };
}

