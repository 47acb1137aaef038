import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyframeDetector, type Keyframe } from '../../src/fusion/keyframes.js';
import { ModalityWeights } from '../../src/fusion/modality-weights.js';
import { FACE_FEATURES } from '../../src/core/fusion-layout.js';

const face = (probs: Partial<Record<'neutral' | 'happy' | 'sad', number>>) => {
  const row = new Float32Array(FACE_FEATURES);
  row[0] = probs.neutral ?? 0;
  row[4] = probs.happy ?? 0;
  row[5] = probs.sad ?? 0;
  return row;
};
const voiceFrame = (t: number, speech: number, energyDb = speech > 0.5 ? -20 : -70, pitchHz: number | null = null) => ({ t, speech, energyDb, pitchHz });
const options = { tolerance: 0.3, speechThreshold: 0.5 };

describe('key frames and alignment', () => {
  it('pairs an expression change with a speech onset within the tolerance, in either order', () => {
    const d = new KeyframeDetector(options);
    assert.equal(d.face(0, face({ neutral: 1 })), null, 'a neutral face appearing is no key frame');
    assert.equal(d.voice(voiceFrame(0.9, 0.1)), null);
    const change = d.face(1.0, face({ happy: 0.9, neutral: 0.1 }))!;
    assert.equal(change.modality, 'face');
    assert.ok(change.strength > 0.8);
    const onset = d.voice(voiceFrame(1.2, 0.95))!;
    assert.deepEqual([onset.pairedT, change.pairedT], [1.0, 1.2]);
    // Speech first, then the face: the pair is made when the face key frame arrives.
    const later = new KeyframeDetector(options);
    later.face(5, face({ neutral: 1 }));
    const speech = later.voice(voiceFrame(5.1, 0.9))!;
    assert.equal(speech.pairedT, null);
    const smile = later.face(5.3, face({ happy: 1 }))!;
    assert.deepEqual([speech.pairedT, smile.pairedT], [5.3, 5.1]);
    assert.equal(speech.pairedBySeq, smile.seq);
  });

  it('leaves key frames further apart than the tolerance unpaired, and keeps one per modality per tolerance', () => {
    const d = new KeyframeDetector(options);
    d.face(0, face({ neutral: 1 }));
    const change = d.face(1.0, face({ happy: 1 }))!;
    assert.equal(d.face(1.1, face({ sad: 1 })), null, 'a second change within the tolerance is the same key frame');
    const onset = d.voice(voiceFrame(1.4, 0.9))!;
    assert.equal(onset.pairedT, null);
    assert.equal(change.pairedT, null);
    assert.ok(d.face(1.5, face({ neutral: 1 })), 'a change after the tolerance is a new key frame');
  });

  it('finds energy and pitch jumps during speech', () => {
    const d = new KeyframeDetector(options);
    d.voice(voiceFrame(0, 0.9, -30, 120));
    for (let i = 1; i <= 12; i++) assert.equal(d.voice(voiceFrame(i * 0.032, 0.9, -30, 120)), null);
    const loud = d.voice(voiceFrame(0.5, 0.9, -18, 121))!;
    assert.equal(loud.modality, 'voice');
    assert.ok(Math.abs(loud.strength - 1) < 1e-9);
    for (let i = 0; i < 12; i++) d.voice(voiceFrame(0.6 + i * 0.032, 0.9, -18, 120));
    const rise = d.voice(voiceFrame(1.0, 0.9, -18, 120 * 2 ** (4 / 12)))!;
    assert.ok(rise && Math.abs(rise.strength - 4 / 6) < 1e-6, `pitch rise of 4 semitones: ${JSON.stringify(rise)}`);
  });
});

describe('modality weights', () => {
  const key = (t: number, modality: 'face' | 'voice', paired: boolean): Keyframe => ({ t, modality, strength: 1, pairedT: paired ? t : null, pairedAt: paired ? t : null, seq: 1, pairedBySeq: paired ? 1 : null });

  it('sum to 1, and a modality without reliability gets nothing even at its key frames', () => {
    const w = new ModalityWeights(0.3);
    w.add([key(0, 'face', true)]);
    assert.deepEqual(w.weigh(0, 0.1, 0, 0.8), [0, 1]);
    assert.deepEqual(w.weigh(0.1, 0.1, 0, 0), [0, 0]);
    const [f, v] = w.weigh(0.2, 0.1, 0.5, 0.5);
    assert.ok(Math.abs(f + v - 1) < 1e-12);
  });

  it('raise the modality with a recent key frame, an aligned one more than an unaligned one, fading with time', () => {
    const aligned = new ModalityWeights(0.3);
    aligned.add([key(1, 'voice', true)]);
    const unaligned = new ModalityWeights(0.3);
    unaligned.add([key(1, 'voice', false)]);
    const at = (w: ModalityWeights, t: number) => w.weigh(t, 0.1, 0.5, 0.5)[1];
    assert.equal(at(new ModalityWeights(0.3), 1), 0.5);
    assert.ok(at(aligned, 1) > at(unaligned, 1));
    assert.ok(at(unaligned, 1) > 0.5);
    assert.ok(at(aligned, 2) < at(aligned, 1.1), 'the boost fades');
  });
});
