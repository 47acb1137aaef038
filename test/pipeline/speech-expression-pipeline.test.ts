/**
 * The trained pack's speech expression model in the running pipeline, on espeak-ng speech: windows with
 * speech carry the model's ABAW distribution, the voice branch's rows take it instead of the
 * arousal-implied one, and the default pack's windows carry none.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ABAW_CLASSES } from '../../src/core/abaw.js';
import { BranchFeatures } from '../../src/fusion/branch-features.js';
import { windowTimeline } from '../../src/fusion/frame-timeline.js';
import { DEFAULT_FUSION_OPTIONS } from '../../src/fusion/window-fusion.js';
import { execFileAsync, ROOT, tempDir } from '../../src/tools/harness/media.js';
import { runPipeline, type FusionRun } from '../helpers/fusion-run.js';
import { VOICE_PROBS } from '../../src/core/fusion-layout.js';

const TRAINED = join(ROOT, 'models', 'trained', 'manifest.json');

describe('speech expression model in the pipeline (espeak-ng speech)', () => {
  let clip: string;
  let trained: FusionRun;
  before(async () => {
    clip = join(tempDir(), 'speech.wav');
    await execFileAsync('espeak-ng', ['-w', clip, 'I cannot believe you did that again. Get out of here right now, and do not ever come back to this house.']);
    trained = await runPipeline(clip, { models: TRAINED });
  });

  it('gives windows with speech an ABAW distribution from the model', () => {
    const withModel = trained.analyses.filter((a) => a.voice?.expression);
    assert.ok(withModel.length >= 2, `${withModel.length} of ${trained.analyses.length} windows have the model's output`);
    for (const a of withModel) {
      const { abaw, labels } = a.voice!.expression!;
      assert.equal(abaw.length, ABAW_CLASSES.length);
      assert.equal(labels.length, 8);
      assert.ok(Math.abs(abaw.reduce((s, p) => s + p, 0) - 1) < 1e-4);
      assert.equal(abaw[ABAW_CLASSES.indexOf('Other')], 0);
      // Calm and neutral both land on Neutral.
      assert.ok(Math.abs(abaw[0]! - labels[0]! - labels[1]!) < 1e-6);
    }
    assert.ok(trained.events.some((e) => e.expression !== null), 'speech windows have an expression');
  });

  it('puts the model distribution in the voice rows of the fusion', () => {
    const window = trained.analyses.find((a) => a.voice?.expression)!;
    const steps = windowTimeline({ start: window.start, end: window.end, faceFrames: window.faceFrames, voice: window.voice }, DEFAULT_FUSION_OPTIONS.stepSeconds, 0.08);
    const features = new BranchFeatures({ ...DEFAULT_FUSION_OPTIONS, embeddingDims: 0 });
    const rows = steps.map((s) => features.push(s).voice!);
    for (const row of rows) {
      const probs = [...row.subarray(VOICE_PROBS, VOICE_PROBS + 8)];
      probs.forEach((p, i) => assert.ok(Math.abs(p - window.voice!.expression!.abaw[i]!) < 1e-6));
    }
  });

  it('the default pack has no speech model, so its windows carry none', async () => {
    const plain = await runPipeline(clip);
    assert.ok(plain.analyses.length > 0);
    assert.ok(plain.analyses.every((a) => a.voice?.expression === undefined));
  });
});
