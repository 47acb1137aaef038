import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AudioChunk, TrackLayout, VideoFrame } from '../../src/core/media.js';
import { Windower } from '../../src/pipeline/windower.js';

const SR = 16000;
const frame = (pts: number, arrivalMs = pts * 1000): VideoFrame => ({ kind: 'video', pts, duration: 0.1, width: 2, height: 2, rgb: new Uint8Array(12), arrivalMs });
const audio = (pts: number, seconds: number, value = 0.5, arrivalMs = (pts + seconds) * 1000): AudioChunk => ({
  kind: 'audio',
  pts,
  sampleRate: SR,
  samples: new Float32Array(Math.round(seconds * SR)).fill(value),
  arrivalMs,
});
const windower = (layout: TrackLayout) => new Windower({ windowSeconds: 1, sampleRate: SR, layout, minTailSeconds: 0.25 });

describe('Windower', () => {
  it('closes a window as soon as both tracks have passed its end, not before', () => {
    const w = windower({ video: true, audio: true });
    for (let i = 0; i < 10; i++) assert.deepEqual(w.push(frame(i / 10)), []);
    assert.deepEqual(w.push(audio(0, 0.5)), []);
    const closed = w.push(audio(0.5, 0.5));
    assert.equal(closed.length, 1);
    const [first] = closed;
    assert.equal(first!.index, 0);
    assert.equal(first!.frames.length, 10);
    assert.equal(first!.audioSamples, SR);
    assert.equal(first!.completedAtMs, 1000);
  });

  it('splits an audio chunk that straddles a boundary sample-accurately', () => {
    const w = windower({ video: false, audio: true });
    assert.deepEqual(w.push(audio(0, 0.75, 0.25)), []);
    const more = w.push(audio(0.75, 0.5));
    assert.equal(more.length, 1);
    const win = more[0]!;
    assert.equal(win.audioSamples, SR);
    assert.equal(win.audio![0], 0.25);
    assert.equal(win.audio![Math.round(0.75 * SR)], 0.5);
    const rest = w.flush();
    assert.equal(rest.length, 1);
    assert.equal(rest[0]!.audioSamples, 0.25 * SR);
    assert.equal(rest[0]!.end, 1.25);
  });

  it('gives contiguous windows for a video-only source and drops a too-short tail', () => {
    const w = windower({ video: true, audio: false });
    const out = [];
    for (let i = 0; i < 31; i++) out.push(...w.push(frame(i / 10)));
    out.push(...w.flush());
    assert.deepEqual(out.map((x) => [x.start, x.end]), [[0, 1], [1, 2], [2, 3]]);
    assert.equal(w.stats().windowsClosed, 3);
  });

  it('keeps windows with no media (a gap) so every second has its window', () => {
    const w = windower({ video: true, audio: false });
    const out = [...w.push(frame(0.9)), ...w.push(frame(3.9))];
    assert.deepEqual(out.map((x) => [x.index, x.frames.length]), [[0, 1], [1, 0], [2, 0], [3, 1]]);
  });

  it('counts items that arrive for an already closed window', () => {
    const w = windower({ video: true, audio: false });
    w.push(frame(1.95));
    w.push(frame(0.5));
    assert.equal(w.stats().lateItems, 1);
  });

  it('starts at the window of the first media, not at zero', () => {
    const w = windower({ video: true, audio: false });
    const out = [...w.push(frame(10.0)), ...w.push(frame(10.9))];
    assert.equal(out[0]!.index, 10);
    assert.equal(out[0]!.start, 10);
  });

  it('rejects a source without tracks', () => {
    assert.throws(() => windower({ video: false, audio: false }), TypeError);
  });
});
