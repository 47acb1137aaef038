import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zeroProbs } from '../../src/core/abaw.js';
import { BranchFeatures, FACE_HOLD_SECONDS } from '../../src/fusion/branch-features.js';
import type { TimelineStep } from '../../src/fusion/frame-timeline.js';
import type { FaceResult } from '../../src/models/face-analyzer.js';

const options = { fullFaceHeight: 0.15, minFaceHeight: 0.03, speechThreshold: 0.5, embeddingDims: 0 };
const smile: FaceResult = { box: [0.4, 0.3, 0.2, 0.3], score: 0.9, probs: { ...zeroProbs(), Happiness: 0.95, Neutral: 0.05 } };
const step = (t: number, face: FaceResult | null | undefined, voice: Array<{ speech: number; energyDb: number }> | null = null): TimelineStep => ({
  t,
  duration: 0.1,
  face,
  voice: voice?.map((v, i) => ({ t: t + i * 0.032, speech: v.speech, energyDb: v.energyDb, pitchHz: null })) ?? null,
  embedding: null,
});
const frames = (speech: number, energyDb: number) => [0, 1, 2].map(() => ({ speech, energyDb }));

describe('branch features', () => {
  it('holds a face through dropped frames for a while, and never through a frame that shows none', () => {
    const b = new BranchFeatures(options);
    assert.ok(b.push(step(0, smile)).faceReliability > 0.5);
    assert.ok(b.push(step(0.1, undefined)).face, 'a dropped frame keeps the face');
    assert.equal(b.push(step(0.2 + FACE_HOLD_SECONDS, undefined)).face, null, 'not for longer than the hold');
    b.push(step(1, smile));
    assert.equal(b.push(step(1.1, null)).faceReliability, 0, 'an analysed frame without a face is no face');
    assert.equal(b.push(step(1.2, undefined)).face, null);
  });

  it('trusts the same speech less over a noisy background than over a quiet one', () => {
    const quiet = new BranchFeatures(options);
    for (let i = 0; i < 10; i++) quiet.push(step(i * 0.1, null, frames(0.05, -80)));
    const clean = quiet.push(step(1, null, frames(0.95, -20))).voiceReliability;
    const noisy = new BranchFeatures(options);
    for (let i = 0; i < 10; i++) noisy.push(step(i * 0.1, null, frames(0.05, -28)));
    const masked = noisy.push(step(1, null, frames(0.95, -20))).voiceReliability;
    assert.ok(clean > 0);
    assert.ok(masked < clean * 0.6, `clean ${clean}, noisy ${masked}`);
    assert.equal(noisy.push(step(1.1, null, frames(0.2, -20))).voiceReliability, 0, 'no speech, no voice weight');
  });
});
