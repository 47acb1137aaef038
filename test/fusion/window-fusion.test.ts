import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ABAW_CLASSES, OTHER_MAX_SHARE, withOtherClass, zeroProbs } from '../../src/core/abaw.js';
import { fuseWindow } from '../../src/fusion/window-fusion.js';
import type { FrameFaces } from '../../src/models/face-analyzer.js';
import type { VoiceFrame, VoiceResult } from '../../src/models/voice-analyzer.js';

const happy = () => ({ ...zeroProbs(), Happiness: 0.9, Neutral: 0.1 });
const faceFrame = (pts: number, height = 0.3, score = 0.9): FrameFaces => ({ pts, faces: [{ box: [0.3, 0.2, height * 0.6, height], score, probs: happy() }] });
const voice = (frames: VoiceFrame[]): VoiceResult => ({
  frames,
  embeddings: new Float32Array(0),
  embeddingCount: 0,
  carry: { vadState: new Float32Array(256), pending: new Float32Array(0), context: new Float32Array(64), melTail: new Float32Array(0) },
});
const silence = () => voice(Array.from({ length: 31 }, (_, i) => ({ t: i * 0.032, speech: 0.01, energyDb: -80, pitchHz: null })));
const loudSpeech = () => voice(Array.from({ length: 31 }, (_, i) => ({ t: i * 0.032, speech: 0.95, energyDb: -18, pitchHz: 180 + (i % 5) * 25 })));

describe('window fusion', () => {
  it('reports nulls and zero weights when there is neither face nor speech', () => {
    const fused = fuseWindow({ start: 3, end: 4, faceFrames: Array.from({ length: 10 }, (_, i) => ({ pts: 3 + i / 10, faces: [] })), voice: silence() });
    assert.equal(fused.expression, null);
    assert.equal(fused.valence, null);
    assert.equal(fused.arousal, null);
    assert.deepEqual(fused.weights, { face: 0, voice: 0 });
    assert.deepEqual(fused.faces, []);
    assert.equal(fused.frames, 10);
  });

  it('takes expression and valence from the face, weight 1 without speech', () => {
    const fused = fuseWindow({ start: 0, end: 1, faceFrames: Array.from({ length: 10 }, (_, i) => faceFrame(i / 10)), voice: silence() });
    assert.equal(fused.expression?.label, 'Happiness');
    assert.ok(fused.valence! > 0.6);
    assert.deepEqual(fused.weights, { face: 1, voice: 0 });
    assert.equal(fused.faces.length, 1);
    assert.equal(fused.faces[0]!.label, 'Happiness');
  });

  it('weights face and voice by evidence, and a face seen half the window counts half', () => {
    const frames = Array.from({ length: 10 }, (_, i) => (i < 5 ? faceFrame(i / 10) : { pts: i / 10, faces: [] }));
    const fused = fuseWindow({ start: 0, end: 1, faceFrames: frames, voice: loudSpeech() });
    const faceEvidence = 0.9 * 0.5;
    assert.ok(Math.abs(fused.weights.face - faceEvidence / (faceEvidence + 0.95)) < 1e-3);
    assert.ok(Math.abs(fused.weights.face + fused.weights.voice - 1) < 1e-3);
    assert.ok(fused.voice!.arousal! > 0.3, 'loud speech with a wide pitch range is aroused');
    assert.ok(fused.voice!.speech_ratio === 1);
  });

  it('gives small faces less weight than large ones', () => {
    const small = fuseWindow({ start: 0, end: 1, faceFrames: [faceFrame(0, 0.05)], voice: loudSpeech() });
    const large = fuseWindow({ start: 0, end: 1, faceFrames: [faceFrame(0, 0.3)], voice: loudSpeech() });
    assert.ok(small.weights.face < large.weights.face);
  });

  it('derives Other from a flat distribution and leaves a confident one alone', () => {
    const flat = zeroProbs();
    for (const c of ABAW_CLASSES) if (c !== 'Other') flat[c] = 1 / 7;
    assert.ok(Math.abs(withOtherClass(flat).Other - OTHER_MAX_SHARE) < 1e-9);
    const confident = withOtherClass(happy());
    assert.equal(confident.Other, 0);
    const sum = ABAW_CLASSES.reduce((s, c) => s + withOtherClass(flat)[c], 0);
    assert.ok(Math.abs(sum - 1) < 1e-9);
  });
});
