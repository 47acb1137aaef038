/**
 * The trained pack's fusion network: ONNX Runtime reproduces the PyTorch outputs recorded at export
 * (held-out windows at the runtime's sequence length, random inputs at another length), and the pack
 * with it runs the real pipeline on a generated clip and gives well-formed events; the fusion inputs
 * the stage exposes for training dumps are exactly what the model got.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ABAW_CLASSES } from '../../src/core/abaw.js';
import { loadManifest, readVerifiedModel } from '../../src/models/manifest.js';
import { createSession, floatOutput, ort } from '../../src/models/ort-session.js';
import { engineOptionsOf, parseAnalysisSettings } from '../../src/server/analysis-settings.js';
import { runClip, type ClipRun } from '../../src/tools/eval/clip-run.js';
import { InferenceEngine, type EngineStats } from '../../src/pipeline/inference-engine.js';
import { makeSmileThenEmptyClip, ROOT, tempDir } from '../../src/tools/harness/media.js';

const PACK = join(ROOT, 'models', 'trained', 'manifest.json');
const declared = loadManifest(PACK).manifest.models.fusion;
// The chain (training/train-fusion.sh) declares the model for expression and VA (temporalFusion), for VA
// alone (crossModalAttention), or not at all, by how it compares with the parameter-free layer.
const fusionSpec = declared?.temporalFusion ?? declared?.crossModalAttention;
const givesExpression = declared?.temporalFusion !== undefined;
const SKIP = fusionSpec ? false : 'the trained pack declares no fusion model (training/train-fusion.sh kept it out)';

interface ParityCase {
  inputs: Record<string, { shape: number[]; data: number[] }>;
  outputs: Record<string, number[]>;
}

describe('trained pack: fusion network', { skip: SKIP }, () => {
  let dir: string;
  let run: ClipRun;
  let stats: EngineStats;
  before(async () => {
    dir = tempDir();
    const clip = await makeSmileThenEmptyClip(join(dir, 'smile-then-empty.mp4'));
    const settings = parseAnalysisSettings({ models: PACK, workers: 1 });
    const engine = await InferenceEngine.create(engineOptionsOf(settings));
    try {
      run = await runClip(clip, settings, loadManifest(PACK), engine);
      stats = engine.stats();
    } finally {
      await engine.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('matches PyTorch within 1e-4 for every recorded batch and sequence length', async () => {
    const pack = loadManifest(PACK);
    const spec = fusionSpec!;
    assert.deepEqual([spec.faceFeatures, spec.voiceFeatures, spec.history], [10, 14, 16]);
    const session = await createSession(readVerifiedModel(pack.pathOf(spec), spec.sha256), spec.file, { intraOpThreads: 1 });
    const parity = JSON.parse(readFileSync(join(ROOT, 'models', 'trained', 'temporal-fusion.parity.json'), 'utf8')) as { cases: ParityCase[] };
    assert.ok(parity.cases.length >= 2);
    const lengths = new Set<number>();
    for (const c of parity.cases) {
      const feeds = Object.fromEntries(Object.entries(c.inputs).map(([name, t]) => [name, new ort.Tensor('float32', Float32Array.from(t.data), t.shape)]));
      lengths.add(c.inputs.face!.shape[1]!);
      const out = await session.run(feeds);
      for (const [name, expected] of Object.entries(c.outputs)) {
        const got = floatOutput(out, name);
        assert.equal(got.length, expected.length, name);
        let worst = 0;
        got.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]!))));
        assert.ok(worst <= 1e-4, `${name}: max abs diff ${worst}`);
      }
    }
    assert.ok(lengths.size >= 2, 'dynamic sequence length exercised');
    await session.release();
  });

  it('runs in the pipeline on a generated clip: one valid event per second, the model once per window with evidence', () => {
    assert.equal(run.events.length, 20);
    for (const e of run.events) {
      if (e.expression) {
        const sum = ABAW_CLASSES.reduce((s, c) => s + e.expression!.probs[c], 0);
        assert.ok(Math.abs(sum - 1) < 1e-3, `probabilities sum to ${sum}`);
        assert.ok(ABAW_CLASSES.includes(e.expression.label));
      }
      for (const v of [e.valence, e.arousal]) assert.ok(v === null || (v >= -1 && v <= 1), `value ${v} in [-1, 1]`);
      // The null rules stay in JS whatever the model: no face, no valence.
      if (e.weights.face === 0) assert.equal(e.valence, null);
    }
    // A smiling face for 10 s: the first seconds have an expression and a valence.
    assert.ok(run.events.slice(0, 10).every((e) => e.expression !== null && e.valence !== null));
    const fusion = stats.schedulers.find((s) => s.name === 'fusion');
    assert.equal(fusion?.items, run.events.filter((e) => e.expression !== null).length);
    assert.equal(fusion?.failedBatches, 0);
  });

  it('exposes to training dumps exactly what the model is fed: its outputs on the tapped input are the event\'s (the label too when it gives the expression)', async () => {
    const pack = loadManifest(PACK);
    const spec = fusionSpec!;
    const session = await createSession(readVerifiedModel(pack.pathOf(spec), spec.sha256), spec.file, { intraOpThreads: 1 });
    assert.equal(run.taps.length, run.events.length);
    for (const [i, tap] of run.taps.entries()) {
      const { input } = tap;
      assert.equal(input.steps, 26);
      assert.equal(input.current.reduce((a, b) => a + b, 0), 10);
      const event = run.events[i]!;
      assert.equal(tap.hasEvidence, event.expression !== null);
      if (!tap.hasEvidence) continue;
      const t = input.steps;
      const out = await session.run({
        face: new ort.Tensor('float32', input.face, [1, t, input.faceDims]),
        voice: new ort.Tensor('float32', input.voice, [1, t, input.voiceDims]),
        weights: new ort.Tensor('float32', input.weights, [1, t, 2]),
        current: new ort.Tensor('float32', input.current, [1, t]),
      });
      if (givesExpression) {
        const logits = Array.from(floatOutput(out, 'logits'));
        assert.equal(ABAW_CLASSES[logits.indexOf(Math.max(...logits))], event.expression!.label, `second ${i}`);
      }
      assert.ok(Math.abs(floatOutput(out, 'arousal')[0]! - event.arousal!) < 1e-3, `second ${i}: arousal`);
      if (event.valence !== null) assert.ok(Math.abs(floatOutput(out, 'valence')[0]! - event.valence) < 1e-3, `second ${i}: valence`);
    }
    await session.release();
  });
});
