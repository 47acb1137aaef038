import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import { decodeOptionsOf, engineOptionsOf, parseAnalysisSettings, streamOptionsOf } from '../../src/server/analysis-settings.js';
import { loadManifest } from '../../src/models/manifest.js';
import { InferenceEngine } from '../../src/pipeline/inference-engine.js';
import { analyzeUri } from '../../src/server/stream-analysis.js';
import type { WindowTiming } from '../../src/pipeline/window-timing.js';
import type { AffectEvent, StreamEvent } from '../../src/core/events.js';
import { makeSmileThenEmptyClip, tempDir } from '../../src/tools/harness/media.js';

describe('window stage timestamps', () => {
  let dir: string;
  let clip: string;
  before(async () => {
    dir = tempDir();
    clip = await makeSmileThenEmptyClip(join(dir, 'smile-then-empty.mp4'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('are in pipeline order for every window of a real run, and the event keeps its schema', async () => {
    const settings = parseAnalysisSettings({ workers: 1 });
    const engine = await InferenceEngine.create(engineOptionsOf(settings));
    const timings: WindowTiming[] = [];
    try {
      const vad = loadManifest(settings.models).manifest.models.vad;
      const events = await lastValueFrom(analyzeUri(pathToFileURL(clip).href, decodeOptionsOf(settings), engine, vad, { ...streamOptionsOf(settings, 'cam'), onTiming: (t) => timings.push(t) }).pipe(toArray()));
      const affect = events.filter((e: StreamEvent): e is AffectEvent => e.type === 'affect');
      assert.equal(affect.length, 20);
      assert.equal(timings.length, affect.length);
      timings.forEach((t, i) => {
        const e = affect[i]!;
        assert.equal(t.seq, e.seq);
        assert.equal(t.start, e.start);
        assert.equal(t.frames, e.frames);
        const order = [t.completedAtMs, t.closedAtMs, t.dispatchedAtMs, t.inferredAtMs, t.fusedAtMs, t.emittedAtMs];
        order.slice(1).forEach((v, k) => assert.ok(v >= order[k]!, `window ${i}: stamp ${k + 1} (${v}) before stamp ${k} (${order[k]})`));
        assert.ok(t.facesAtMs >= t.closedAtMs && t.facesAtMs <= t.inferredAtMs, `window ${i}: faces`);
        assert.ok(t.voiceAtMs >= t.closedAtMs && t.voiceAtMs <= t.inferredAtMs, `window ${i}: voice`);
        assert.equal(e.latency_ms, Math.round((t.emittedAtMs - t.completedAtMs) * 100) / 100);
        assert.ok(!('timing' in e) && !('completedAtMs' in e), 'events carry no timestamps of their own');
      });
    } finally {
      await engine.close();
    }
  });
});
