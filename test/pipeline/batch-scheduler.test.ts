/**
 * The batch scheduler's rules, on the real models in real workers, fed with frames decoded from a
 * generated clip of a face-api demo photo (10 s of a smiling face, then 10 s of a room with nobody).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { filter, lastValueFrom, map, toArray } from 'rxjs';
import { DEFAULT_MANIFEST } from '../../src/server/analysis-settings.js';
import { AffectStreamError } from '../../src/core/errors.js';
import { FlowGate } from '../../src/ingest/flow-gate.js';
import { decodeUri, DEFAULT_DECODE_OPTIONS } from '../../src/ingest/gst-source.js';
import type { VideoFrame } from '../../src/core/media.js';
import type { DetectedFrame } from '../../src/models/face-analyzer.js';
import { loadManifest } from '../../src/models/manifest.js';
import { initialVoiceCarry, type VoiceResult } from '../../src/models/voice-analyzer.js';
import { BatchScheduler } from '../../src/pipeline/batch-scheduler.js';
import { InferenceEngine, NO_BATCHING } from '../../src/pipeline/inference-engine.js';
import type { ItemOutcome } from '../../src/pipeline/inference-protocol.js';
import { DEFAULT_STREAM_ANALYSIS, analyzeMedia } from '../../src/server/stream-analysis.js';
import { InferencePool } from '../../src/pipeline/worker-pool.js';
import type { AffectEvent, StreamEvent } from '../../src/core/events.js';
import { makeSmileThenEmptyClip, tempDir } from '../../src/tools/harness/media.js';
import type { IngestItem } from '../../src/core/media.js';

const NEVER_MS = 1e9;
const vad = loadManifest(DEFAULT_MANIFEST).manifest.models.vad;

function copyFrame(frame: VideoFrame): VideoFrame {
  return { ...frame, rgb: Uint8Array.from(frame.rgb) };
}

function unwrap<T>(outcomes: ItemOutcome<T>[]): Array<T | Error> {
  return outcomes.map((o) => (o.ok ? o.value : new AffectStreamError(o.code, o.message)));
}

function detector(pool: InferencePool, policy: { maxBatch: number; maxDelayMs: number }) {
  return new BatchScheduler<VideoFrame, DetectedFrame>({ name: 'detect', ...policy, maxInFlight: 1 }, (frames) =>
    pool.run({ type: 'detect', frames: frames.map((f) => ({ pts: f.pts, width: f.width, height: f.height, buffer: f.rgb.buffer as ArrayBuffer, byteOffset: f.rgb.byteOffset, byteLength: f.rgb.byteLength })) }).then(unwrap),
  );
}

describe('BatchScheduler on the real models', () => {
  let dir: string;
  let clip: string;
  let faceFrames: VideoFrame[];
  let emptyFrames: VideoFrame[];
  let pool: InferencePool;

  before(async () => {
    dir = tempDir();
    clip = await makeSmileThenEmptyClip(join(dir, 'smile-then-empty.mp4'));
    const frames = await lastValueFrom(
      decodeUri(pathToFileURL(clip).href, DEFAULT_DECODE_OPTIONS).pipe(
        filter((item: IngestItem): item is VideoFrame => item.kind === 'video'),
        toArray(),
      ),
    );
    faceFrames = frames.filter((f) => f.pts < 9).slice(0, 12);
    emptyFrames = frames.filter((f) => f.pts > 11).slice(0, 12);
    pool = await InferencePool.create({ manifestPath: DEFAULT_MANIFEST, workers: 1 });
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a full batch at once, without waiting for its deadline', async () => {
    // With a deadline that never comes, only the full-batch rule can send these.
    const scheduler = detector(pool, { maxBatch: 4, maxDelayMs: NEVER_MS });
    const results = await Promise.all(faceFrames.slice(0, 4).map((f) => scheduler.submit(copyFrame(f))));
    assert.equal(results.length, 4);
    assert.deepEqual({ batches: scheduler.stats().batches, items: scheduler.stats().items }, { batches: 1, items: 4 });
    scheduler.close();
  });

  it('sends a partial batch when its oldest request has waited the deadline', async () => {
    const scheduler = detector(pool, { maxBatch: 8, maxDelayMs: 200 });
    const results = await Promise.all(faceFrames.slice(0, 3).map((f) => scheduler.submit(copyFrame(f))));
    assert.equal(results.length, 3);
    const stats = scheduler.stats();
    assert.deepEqual({ batches: stats.batches, items: stats.items }, { batches: 1, items: 3 });
    // All three waited for the deadline, not for a full batch and not zero.
    assert.ok(stats.queueWaitMs >= 3 * 190, `queue wait ${stats.queueWaitMs} ms`);
    scheduler.close();
  });

  it('returns each stream its own results, in order, equal to running them one by one', async () => {
    const batched = detector(pool, { maxBatch: 6, maxDelayMs: 20 });
    const single = detector(pool, { maxBatch: 1, maxDelayMs: 0 });
    // Two streams, interleaved into the same batches: one with a face in every frame, one without.
    const requests = faceFrames.slice(0, 9).flatMap((f, i) => [{ stream: 'face', frame: f }, { stream: 'empty', frame: emptyFrames[i]! }]);
    const together = await Promise.all(requests.map((r) => batched.submit(copyFrame(r.frame))));
    const alone = await Promise.all(requests.map((r) => single.submit(copyFrame(r.frame))));
    assert.ok(batched.stats().meanBatch > 1, `mean batch ${batched.stats().meanBatch}`);
    requests.forEach((r, i) => {
      const got = together[i]!;
      assert.equal(got.pts, r.frame.pts);
      assert.equal(got.faces.length, r.stream === 'face' ? 1 : 0, `${r.stream} frame at ${r.frame.pts} s`);
      assert.equal(got.faces.length, alone[i]!.faces.length);
      got.faces.forEach((face, k) => {
        const other = alone[i]!.faces[k]!;
        assert.ok(Math.abs(face.score - other.score) < 1e-5);
        face.box.forEach((v, j) => assert.ok(Math.abs(v - other.box[j]!) < 1e-5));
      });
    });
    batched.close();
    single.close();
  });

  it('runs the voice models of several streams in one batch, each with its own state', async () => {
    const tone = Float32Array.from({ length: 16000 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / 16000));
    const silence = new Float32Array(15000);
    const noise = Float32Array.from({ length: 17000 }, (_, i) => 0.05 * Math.sin(i * 1.7) * Math.cos(i * 0.31));
    const items = [tone, silence, noise].map((audio) => ({ audio, carry: initialVoiceCarry(vad) }));
    const batch = unwrap(await pool.run({ type: 'voice', items })) as VoiceResult[];
    const alone = (await Promise.all(items.map((item) => pool.run({ type: 'voice', items: [item] })))).map((o) => unwrap(o)[0] as VoiceResult);
    batch.forEach((result, i) => {
      assert.equal(result.frames.length, alone[i]!.frames.length);
      assert.equal(result.carry.pending.length, alone[i]!.carry.pending.length);
      result.frames.forEach((f, k) => assert.ok(Math.abs(f.speech - alone[i]!.frames[k]!.speech) < 1e-5));
      result.carry.vadState.forEach((v, k) => assert.ok(Math.abs(v - alone[i]!.carry.vadState[k]!) < 1e-5));
      assert.equal(result.embeddingCount, alone[i]!.embeddingCount);
      result.embeddings.forEach((v, k) => assert.ok(Math.abs(v - alone[i]!.embeddings[k]!) < 1e-4));
    });
    // A second window carries each stream's state on: the lockstep batch keeps streams apart.
    const next = unwrap(await pool.run({ type: 'voice', items: batch.map((r, i) => ({ audio: [tone, silence, noise][i]!, carry: r.carry })) })) as VoiceResult[];
    const nextAlone = (await Promise.all(alone.map((r, i) => pool.run({ type: 'voice', items: [{ audio: [tone, silence, noise][i]!, carry: r.carry }] })))).map((o) => unwrap(o)[0] as VoiceResult);
    next.forEach((r, i) => r.frames.forEach((f, k) => assert.ok(Math.abs(f.speech - nextAlone[i]!.frames[k]!.speech) < 1e-5)));
  });

  it('fails only the bad request of a batch, as an error event of its own stream and window', async () => {
    const engine = await InferenceEngine.create({ manifestPath: DEFAULT_MANIFEST, workers: 1, batching: { detect: { maxBatch: 16, maxDelayMs: 50 }, classify: { maxBatch: 16, maxDelayMs: 20 }, voice: { maxBatch: 4, maxDelayMs: 50 }, fusion: { maxBatch: 1, maxDelayMs: 0 } } });
    try {
      // Offline sources with a flow gate: nothing is dropped, so the corrupt frame surely reaches a batch.
      const source = (corruptAt: number | null, gate: FlowGate) =>
        decodeUri(pathToFileURL(clip).href, DEFAULT_DECODE_OPTIONS, gate).pipe(
          // A frame whose pixels were cut short, as from a broken decoder: the model cannot run on it.
          map((item) => (item.kind === 'video' && corruptAt !== null && Math.abs(item.pts - corruptAt) < 0.01 ? { ...item, rgb: item.rgb.subarray(0, 1000) } : item)),
        );
      const run = (stream: string, corruptAt: number | null) => {
        const gate = new FlowGate();
        return lastValueFrom(analyzeMedia(source(corruptAt, gate), engine, vad, { ...DEFAULT_STREAM_ANALYSIS, streamId: stream }, gate).pipe(toArray()));
      };
      const [bad, good] = await Promise.all([run('bad', 2.5), run('good', null)]);
      const badErrors = bad.filter((e): e is Extract<StreamEvent, { type: 'error' }> => e.type === 'error');
      assert.equal(badErrors.length, 1, JSON.stringify(badErrors));
      assert.equal(badErrors[0]!.code, 'model_failed');
      assert.equal(badErrors[0]!.seq, 2);
      assert.match(badErrors[0]!.message, /bytes of pixels/);
      const badAffect = bad.filter((e): e is AffectEvent => e.type === 'affect');
      assert.equal(badAffect.length, 19);
      assert.ok(!badAffect.some((e) => e.seq === 2));
      const goodAffect = good.filter((e): e is AffectEvent => e.type === 'affect');
      assert.equal(goodAffect.length, 20);
      assert.ok(!good.some((e) => e.type === 'error'));
      const last = good.at(-1);
      assert.ok(last?.type === 'status' && last.state === 'ended');
      assert.ok(engine.stats().schedulers.find((s) => s.name === 'detect')!.meanBatch > 1);
    } finally {
      await engine.close();
    }
  });

  it('drops analysis frames of a live source when behind, never whole windows nor audio', async () => {
    // A frame lag budget of 0 ms counts inference as behind whenever a frame waits for its batch.
    const engine = await InferenceEngine.create({
      manifestPath: DEFAULT_MANIFEST,
      workers: 1,
      batching: { ...NO_BATCHING, detect: { maxBatch: 16, maxDelayMs: 100 } },
      overload: { maxFrameLagMs: 0, maxQueuedFrames: 64 },
    });
    try {
      // No flow gate: the source is treated as live, as a paced file or a WebRTC peer is.
      const events = await lastValueFrom(analyzeMedia(decodeUri(pathToFileURL(clip).href, DEFAULT_DECODE_OPTIONS), engine, vad, { ...DEFAULT_STREAM_ANALYSIS, streamId: 'live' }).pipe(toArray()));
      const affect = events.filter((e): e is AffectEvent => e.type === 'affect');
      assert.equal(affect.length, 20);
      assert.ok(affect.reduce((n, e) => n + e.dropped_frames, 0) > 0);
      for (const e of affect) {
        assert.equal(e.frames + e.dropped_frames, 10, `window ${e.seq}`);
        assert.ok(e.frames >= 1, `window ${e.seq} kept no frame`);
        assert.ok(e.voice !== null, `window ${e.seq} lost its audio`);
      }
      assert.ok(affect.slice(0, 9).every((e) => e.faces.length === 1));
    } finally {
      await engine.close();
    }
  });
});
