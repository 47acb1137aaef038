import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { rmSync } from 'node:fs';
import { lastValueFrom, toArray } from 'rxjs';
import { AffectStreamError } from '../../src/core/errors.js';
import { decodeUri, DEFAULT_DECODE_OPTIONS } from '../../src/ingest/gst-source.js';
import type { AudioChunk, VideoFrame } from '../../src/core/media.js';
import { makePatternClip, tempDir } from '../../src/tools/harness/media.js';
import type { IngestItem } from '../../src/core/media.js';

const decode = (path: string, options = {}) => lastValueFrom(decodeUri(pathToFileURL(path).href, { ...DEFAULT_DECODE_OPTIONS, ...options }).pipe(toArray()));
const videoOf = (items: IngestItem[]) => items.filter((i): i is VideoFrame => i.kind === 'video');
const audioOf = (items: IngestItem[]) => items.filter((i): i is AudioChunk => i.kind === 'audio');

describe('GStreamer ingest', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const containers: Array<{ name: string; video: boolean; audio: boolean; codecs: string[] }> = [
    { name: 'clip.mp4', video: true, audio: true, codecs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac'] },
    { name: 'clip.mkv', video: true, audio: true, codecs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac'] },
    { name: 'clip.webm', video: true, audio: true, codecs: ['-c:v', 'libvpx', '-b:v', '500k', '-c:a', 'libopus'] },
    { name: 'video-only.webm', video: true, audio: false, codecs: ['-c:v', 'libvpx', '-b:v', '500k'] },
    { name: 'audio-only.wav', video: false, audio: true, codecs: [] },
    { name: 'audio-only.flac', video: false, audio: true, codecs: [] },
  ];

  for (const c of containers) {
    it(`decodes ${c.name} into timestamped ${[c.video && '10 fps RGB frames', c.audio && '16 kHz mono audio'].filter(Boolean).join(' and ')}`, async () => {
      const path = await makePatternClip(join(dir, c.name), { seconds: 3, video: c.video, audio: c.audio, codecs: c.codecs });
      const items = await decode(path);
      assert.deepEqual(items[0], { kind: 'tracks', layout: { video: c.video, audio: c.audio } });
      const frames = videoOf(items);
      const chunks = audioOf(items);
      if (c.video) {
        // Frames keep their source timestamps; containers that round them (Matroska to 1 ms, Opus's
        // codec delay in WebM) put frames near, not on, the 0.1 s grid, and one more may fit.
        assert.ok(frames.length === 30 || frames.length === 31, `${frames.length} frames`);
        assert.ok(frames[0]!.pts < 0.05, `first frame at ${frames[0]!.pts}`);
        frames.forEach((f, i) => {
          if (i > 0) assert.ok(f.pts - frames[i - 1]!.pts > 0.05 && f.pts - frames[i - 1]!.pts < 0.15, `frame ${i} at ${f.pts}`);
          assert.equal(f.width, 640);
          assert.equal(f.height, 480);
          assert.equal(f.rgb.byteLength, 640 * 480 * 3);
        });
      } else {
        assert.equal(frames.length, 0);
      }
      if (c.audio) {
        const total = chunks.reduce((n, a) => n + a.samples.length, 0);
        assert.ok(Math.abs(total - 48000) < 48000 * 0.02, `${total} samples for 3 s`);
        for (let i = 1; i < chunks.length; i++) {
          const expected = chunks[i - 1]!.pts + chunks[i - 1]!.samples.length / 16000;
          assert.ok(Math.abs(chunks[i]!.pts - expected) < 1.5 / 16000, `audio chunk ${i} is contiguous`);
        }
        const peak = chunks.reduce((m, a) => Math.max(m, ...a.samples), 0);
        assert.ok(peak > 0.05, 'the tone is there');
      } else {
        assert.equal(chunks.length, 0);
      }
    });
  }

  it('honours the analysis rate and width', async () => {
    const path = await makePatternClip(join(dir, 'rate.mp4'), { seconds: 2, audio: false, codecs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] });
    const frames = videoOf(await decode(path, { fps: 5, width: 160 }));
    assert.equal(frames.length, 10);
    assert.equal(frames[0]!.width, 160);
    assert.equal(frames[0]!.height, 120);
    assert.ok(Math.abs(frames[1]!.pts - 0.2) < 1e-6);
  });

  it('paces a file like a live source with realtime on', async () => {
    const path = await makePatternClip(join(dir, 'paced.mp4'), { seconds: 2, codecs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac'] });
    const started = performance.now();
    await decode(path, { realtime: true });
    const paced = performance.now() - started;
    assert.ok(paced >= 1800, `a 2 s clip took only ${paced.toFixed(0)} ms when paced`);
  });

  it('fails with typed errors for media it cannot read', async () => {
    const { writeFileSync, readFileSync } = await import('node:fs');
    const text = join(dir, 'notes.mp4');
    writeFileSync(text, 'these are not video frames\n'.repeat(100));
    await assert.rejects(decode(text), (e: unknown) => e instanceof AffectStreamError && e.code === 'unsupported_media');
    const whole = await makePatternClip(join(dir, 'whole.mp4'), { seconds: 3, codecs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac'] });
    const truncated = join(dir, 'truncated.mp4');
    writeFileSync(truncated, readFileSync(whole).subarray(0, 20000));
    await assert.rejects(decode(truncated), (e: unknown) => e instanceof AffectStreamError && e.code === 'corrupt_media');
    await assert.rejects(lastValueFrom(decodeUri('http://127.0.0.1:9/none.mp4', DEFAULT_DECODE_OPTIONS)), (e: unknown) => e instanceof AffectStreamError && e.code === 'source_unreachable' && e.retryable);
  });
});
