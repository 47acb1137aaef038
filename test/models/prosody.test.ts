import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rmsDb, SILENCE_DB, yinPitch } from '../../src/models/prosody.js';

const sine = (hz: number, amplitude: number, samples = 512, rate = 16000) => Float32Array.from({ length: samples }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate));

describe('prosody', () => {
  it('measures the level of a sine in dBFS', () => {
    // RMS of a sine is amplitude/√2: 0.5 → −9.03 dBFS.
    assert.ok(Math.abs(rmsDb(sine(440, 0.5, 16000), 0, 16000) - -9.03) < 0.05);
    assert.equal(rmsDb(new Float32Array(512), 0, 512), SILENCE_DB);
  });

  for (const hz of [90, 150, 220, 330]) {
    it(`finds the pitch of a ${hz} Hz harmonic tone`, () => {
      const tone = sine(hz, 0.4);
      const second = sine(hz * 2, 0.2);
      for (let i = 0; i < tone.length; i++) tone[i]! += second[i]!;
      const pitch = yinPitch(tone, 0, tone.length);
      assert.ok(pitch !== null && Math.abs(pitch - hz) / hz < 0.02, `got ${pitch}`);
    });
  }

  it('finds no pitch in noise', () => {
    let seed = 7;
    const noise = Float32Array.from({ length: 512 }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
    assert.equal(yinPitch(noise, 0, noise.length), null);
  });
});
