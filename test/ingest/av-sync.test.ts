import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import { decodeUri, DEFAULT_DECODE_OPTIONS } from '../../src/ingest/gst-source.js';
import type { AudioChunk, VideoFrame } from '../../src/core/media.js';
import { ffmpeg, tempDir } from '../../src/tools/harness/media.js';

// A 10-minute file that flashes white and beeps (ffmpeg's sine is at 1/8 full scale) at the same instant once a minute: the flash's frame
// time and the beep's onset, both as ingest stamps them, must stay together across the whole file.
const MINUTES = 10;
const FPS = 30;

describe('audio/video share one clock', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`drifts less than one video frame over ${MINUTES} minutes`, async () => {
    const path = join(dir, 'flash-beep.mp4');
    const seconds = MINUTES * 60;
    // Marks at 30 s, 90 s, … so the first is clear of encoder start-up.
    const mark = 'lt(mod(T-30,60),0.2)*gte(T,30)';
    await ffmpeg([
      '-f', 'lavfi', '-i', `color=c=black:s=160x120:r=${FPS},format=yuv420p,geq=lum='if(${mark},235,16)':cb=128:cr=128`,
      '-f', 'lavfi', '-i', `sine=frequency=1000:sample_rate=48000,volume='if(lt(mod(t-30,60),0.2)*gte(t,30),0.8,0)':eval=frame`,
      '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-c:a', 'aac', path,
    ]);
    const items = await lastValueFrom(decodeUri(pathToFileURL(path).href, { ...DEFAULT_DECODE_OPTIONS, fps: FPS, width: 160 }).pipe(toArray()));
    const flashes: number[] = [];
    let wasBright = false;
    for (const f of items.filter((i): i is VideoFrame => i.kind === 'video')) {
      let sum = 0;
      for (let i = 0; i < f.rgb.length; i += 3) sum += f.rgb[i]!;
      const bright = sum / (f.rgb.length / 3) > 128;
      if (bright && !wasBright) flashes.push(f.pts);
      wasBright = bright;
    }
    const beeps: number[] = [];
    let lastLoud = Number.NEGATIVE_INFINITY;
    for (const a of items.filter((i): i is AudioChunk => i.kind === 'audio')) {
      for (let i = 0; i < a.samples.length; i++) {
        const t = a.pts + i / a.sampleRate;
        if (Math.abs(a.samples[i]!) > 0.04) {
          if (t - lastLoud > 1) beeps.push(t);
          lastLoud = t;
        }
      }
    }
    assert.equal(flashes.length, MINUTES, `flashes at ${flashes.join(', ')}`);
    assert.equal(beeps.length, MINUTES, `beeps at ${beeps.join(', ')}`);
    const offsets = flashes.map((f, i) => f - beeps[i]!);
    const drift = Math.max(...offsets) - Math.min(...offsets);
    assert.ok(drift < 1 / FPS, `audio/video offset moved by ${drift.toFixed(4)} s over ${MINUTES} min (offsets ${offsets.map((o) => o.toFixed(4)).join(', ')})`);
    for (const o of offsets) assert.ok(Math.abs(o) < 1 / FPS, `audio and video of one mark are ${o.toFixed(4)} s apart`);
  });
});
