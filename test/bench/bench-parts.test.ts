import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { floorLaunchString, floorRun, pullRun } from '../../src/tools/bench/decode-floor.js';
import { stagesOf } from '../../src/tools/bench/live-run.js';
import { percentile, spread } from '../../src/tools/bench/stats.js';
import { cdfPoints, lineChart, stack } from '../../src/tools/bench/svg-chart.js';
import { buildLaunchString, DEFAULT_DECODE_OPTIONS } from '../../src/ingest/gst-source.js';
import type { WindowTiming } from '../../src/pipeline/window-timing.js';
import { makePatternClip, tempDir } from '../../src/tools/harness/media.js';

describe('bench parts', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('percentiles are nearest-rank: each is a measured value', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 99), 99);
    assert.equal(percentile(values, 100), 100);
    assert.deepEqual(spread([3, 1, 2]), { n: 3, p50: 2, p90: 3, p99: 3, max: 3, mean: 2 });
    assert.ok(Number.isNaN(spread([]).p50));
  });

  it('splits a window into stages that add up to arrival → sink, decode measured against the least-late window', () => {
    const base = { stream: 's1', frames: 10, droppedFrames: 0 };
    const at = (seq: number, completed: number): WindowTiming & { sentAtMs: number } => ({
      ...base,
      seq,
      start: seq,
      end: seq + 1,
      completedAtMs: completed,
      closedAtMs: completed + 0.1,
      dispatchedAtMs: completed + 2,
      facesAtMs: completed + 5,
      voiceAtMs: completed + 12,
      inferredAtMs: completed + 12,
      fusedAtMs: completed + 13,
      emittedAtMs: completed + 13.5,
      sentAtMs: completed + 14,
    });
    // Window 1's media came 3 ms later than the schedule window 0 set.
    const [w0, w1] = stagesOf([at(0, 10_000), at(1, 11_003)]);
    assert.deepEqual(
      { decode: w0!.decode, queue: w0!.queue, inference: w0!.inference, fusion: w0!.fusion, send: w0!.send, latency: w0!.latency, total: w0!.total, faces: w0!.faceBranch, voice: w0!.voiceBranch },
      { decode: 0, queue: 2, inference: 10, fusion: 1, send: 1, latency: 13.5, total: 14, faces: 5, voice: 12 },
    );
    assert.equal(w1!.decode, 3);
  });

  it('draws a chart as standalone SVG with one path per series, escaping names', () => {
    const svg = lineChart({
      title: 'a <test>',
      x: { label: 'ms', log: true },
      y: { label: 'fraction', min: 0, max: 1 },
      series: [
        { name: 'p&q', step: true, points: cdfPoints([1, 2, 30]) },
        { name: 'b', points: [[1, 0.1], [100, 0.9]], dots: true },
      ],
      vLines: [{ x: 25, label: 'target' }],
    });
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /a &lt;test&gt;/);
    assert.match(svg, /p&amp;q/);
    assert.equal((svg.match(/<path /g) ?? []).length, 2);
    assert.ok(!/NaN|undefined/.test(svg));
    assert.deepEqual(cdfPoints([2, 1]), [[1, 0], [1, 0.5], [2, 1]]);
    const both = stack([svg, svg]);
    assert.equal((both.match(/<svg /g) ?? []).length, 3);
  });

  it('the decode-only floor is the pipeline graph with fakesinks in place of the appsinks', () => {
    const uri = 'file:///clip.mp4';
    const floor = floorLaunchString(uri, { ...DEFAULT_DECODE_OPTIONS, realtime: true });
    const pipeline = buildLaunchString(uri, { ...DEFAULT_DECODE_OPTIONS, realtime: true });
    const converters = (launch: string) => [...launch.matchAll(/-sink="(.*?) ! (?:gdppay|fakesink)/g)].map((m) => m[1]);
    assert.deepEqual(converters(floor), converters(pipeline));
    assert.equal(converters(floor).length, 2);
    assert.match(floor, /fakesink sync=true/);
    assert.doesNotMatch(floor, /appsink|gdppay/);
  });

  it('decodes a clip to the end through the decode-only floor and through the ingest alone, counting their CPU time', async () => {
    const clip = await makePatternClip(join(dir, 'pattern.mp4'), { seconds: 2, size: '640x360' });
    for (const run of [floorRun, pullRun]) {
      const result = await run({ clip, streams: 2, realtime: false });
      assert.equal(result.streams, 2);
      assert.ok(Math.abs(result.mediaSeconds - 4) < 0.2, `${run.name}: media seconds ${result.mediaSeconds}`);
      assert.ok(result.cpuS > 0);
    }
  });
});
