/**
 * RTSP feeds against a real RTSP server on loopback (GStreamer's rtsp-server, src/tools/harness/rtsp-server.py)
 * serving a clip of a smiling, talking face: events arrive; the server is killed and started again and
 * the stream reports `reconnecting`, then `resumed` with the gap, and its windows go on; a frozen
 * server is caught by the no-media watchdog; wrong URLs and credentials give clear errors; the codecs
 * and transports the issue lists all decode.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { engineOptionsOf, parseAnalysisSettings, type AnalysisSettings } from '../../src/server/analysis-settings.js';
import { analyzeSource } from '../../src/server/source-analysis.js';
import { resolveRtspOptions, type RtspOptionsInput } from '../../src/ingest/rtsp/rtsp-options.js';
import { loadManifest, type VadSpec } from '../../src/models/manifest.js';
import { InferenceEngine } from '../../src/pipeline/inference-engine.js';
import type { AffectEvent } from '../../src/core/events.js';
import { EventLog } from '../helpers/event-log.js';
import { tempDir } from '../../src/tools/harness/media.js';
import { makeRtspClip, RtspTestServer } from '../../src/tools/harness/rtsp.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each window starts where the one before ended: no window missing. */
function assertContiguous(windows: AffectEvent[]): void {
  for (let i = 1; i < windows.length; i++) {
    assert.equal(windows[i]!.seq, windows[i - 1]!.seq + 1, `seq after ${windows[i - 1]!.seq}`);
    assert.ok(Math.abs(windows[i]!.start - windows[i - 1]!.end) < 1e-6, `window ${windows[i]!.seq} starts at ${windows[i]!.start}, the one before ended at ${windows[i - 1]!.end}`);
  }
}

const happyFace = (w: AffectEvent) => w.faces.length >= 1 && w.expression?.label === 'Happiness';

describe('RTSP feeds', () => {
  let dir: string;
  let clip: string;
  let settings: AnalysisSettings;
  let engine: InferenceEngine;
  let vad: VadSpec;
  const servers: RtspTestServer[] = [];
  const logs: EventLog[] = [];

  const serve = async (options: Partial<Parameters<typeof RtspTestServer.start>[0]> = {}) => {
    const server = await RtspTestServer.start({ clip, ...options });
    servers.push(server);
    return server;
  };
  const watch = (uri: string, stream: string, rtsp: RtspOptionsInput = {}) => {
    const log = new EventLog(analyzeSource(uri, stream, settings, engine, vad, undefined, resolveRtspOptions(rtsp)));
    logs.push(log);
    return log;
  };

  before(async () => {
    dir = tempDir();
    clip = await makeRtspClip(dir, 40);
    settings = parseAnalysisSettings({ workers: 1 });
    engine = await InferenceEngine.create(engineOptionsOf(settings));
    vad = loadManifest(settings.models).manifest.models.vad;
  });
  after(async () => {
    for (const log of logs) log.stop();
    for (const server of servers) await server.close();
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('analyses a feed; a killed server gives reconnecting, then resumed with the gap, and the windows go on', async () => {
    const server = await serve();
    const log = watch(server.url(), 'cam');
    await log.waitFor('4 windows', () => log.affect().length >= 4, 30_000);
    assert.deepEqual(log.status('started')[0]?.tracks, { video: true, audio: true });

    await server.kill();
    await log.waitFor('reconnecting', () => log.status('reconnecting').length >= 1, 10_000);
    const reconnecting = log.status('reconnecting')[0]!;
    assert.equal(reconnecting.error?.code, 'source_unreachable', JSON.stringify(reconnecting));
    assert.ok(reconnecting.attempt === 1 && reconnecting.retry_in_ms! > 0, JSON.stringify(reconnecting));
    await sleep(2500);
    const windowsBeforeReturn = log.affect().length;
    await server.restart();
    await log.waitFor('resumed', () => log.status('resumed').length >= 1, 15_000);
    const resumed = log.status('resumed')[0]!;
    await log.waitFor('4 windows after the return', () => log.affect().filter((w) => w.at > resumed.at && !w.gap).length >= 4, 20_000);
    log.stop();

    const windows = log.affect();
    assertContiguous(windows);
    const gap = resumed.gap!;
    assert.ok(gap.to - gap.from >= 2, `the gap covers the outage: ${JSON.stringify(resumed)}`);
    const marked = windows.filter((w) => w.gap);
    assert.ok(marked.length >= 2, `windows in the outage are marked: ${log.summary()}`);
    for (const w of marked) assert.ok(w.end > gap.from && w.start < gap.to, `marked window ${w.start}–${w.end} lies in the gap ${gap.from}–${gap.to}`);
    for (const w of windows.filter((w) => !w.gap)) assert.ok(w.end <= gap.from + 1e-3 || w.start >= gap.to - 1e-3, `unmarked window ${w.start}–${w.end} outside the gap`);
    assert.ok(windowsBeforeReturn >= 4);
    const live = windows.filter((w) => !w.gap);
    assert.ok(live.filter(happyFace).length >= live.length - 2, `the face is seen before and after: ${log.summary()}`);
    assert.ok(live.some((w) => (w.voice?.speech_ratio ?? 0) > 0.3), 'speech is heard');
    const after = live.filter((w) => w.at > resumed.at);
    assert.ok(after.filter(happyFace).length >= 3, 'the face is seen after the return');
  });

  it('notices a frozen server (socket open, no data) within the no-media timeout, and resumes when it thaws', async () => {
    const server = await serve();
    const log = watch(server.url(), 'frozen');
    await log.waitFor('3 windows', () => log.affect().length >= 3, 30_000);
    const frozenAt = performance.now();
    server.freeze();
    await log.waitFor('reconnecting', () => log.status('reconnecting').length >= 1, 15_000);
    const reconnecting = log.status('reconnecting')[0]!;
    const noticedAfterS = (reconnecting.at - frozenAt) / 1000;
    assert.match(reconnecting.error?.message ?? '', /no (video|audio) for 5 s/);
    // The configured timeout (5 s), not rtspsrc's own ≈ 27 s.
    assert.ok(noticedAfterS < 8, `noticed after ${noticedAfterS.toFixed(1)} s`);
    server.thaw();
    await log.waitFor('resumed', () => log.status('resumed').length >= 1, 30_000);
    const resumed = log.status('resumed')[0]!;
    await log.waitFor('2 windows after thawing', () => log.affect().filter((w) => w.at > resumed.at && !w.gap).length >= 2, 20_000);
    log.stop();
    assertContiguous(log.affect());
  });

  it('gives clear errors for a wrong path, a closed port, missing and wrong credentials; right ones work', async () => {
    const server = await serve({ user: 'viewer', password: 'right-pass' });
    const cases: Array<{ uri: string; rtsp?: RtspOptionsInput; code: string; message: RegExp }> = [
      { uri: server.url().replace('/clip', '/no-such-path'), code: 'source_not_found', message: /404/ },
      { uri: 'rtsp://127.0.0.1:1/clip', code: 'source_unreachable', message: /ECONNREFUSED/ },
      { uri: server.url(), code: 'unauthorized', message: /401.*none were given/ },
      { uri: server.url({ user: 'viewer', password: 'wrong-pass' }), code: 'unauthorized', message: /401.*refused/ },
      { uri: server.url(), rtsp: { user: 'viewer', password: 'wrong-pass' }, code: 'unauthorized', message: /401.*refused/ },
    ];
    for (const [i, c] of cases.entries()) {
      const log = watch(c.uri, `bad-${i}`, c.rtsp);
      await log.waitFor(`the end of case ${i}`, () => log.done, 15_000);
      const errors = log.events.filter((e) => e.type === 'error');
      assert.equal(errors.length, 1, log.summary());
      const error = errors[0]!;
      assert.ok(error.type === 'error' && error.code === c.code && c.message.test(error.message), `case ${i}: ${JSON.stringify(error)}`);
      assert.doesNotMatch(error.message, /wrong-pass|right-pass/, 'no password in messages');
      assert.equal(log.status('failed').length, 1);
    }
    for (const [i, rtsp] of [{}, { user: 'viewer', password: 'right-pass' }].entries()) {
      const uri = i === 0 ? server.url({ user: 'viewer', password: 'right-pass' }) : server.url();
      const log = watch(uri, `auth-${i}`, rtsp);
      await log.waitFor('2 windows with credentials', () => log.affect().length >= 2, 30_000);
      log.stop();
      assert.ok(log.affect().some(happyFace), log.summary());
    }
  });

  it('decodes H.265 with Opus, PCMA over UDP, PCMU, and a video-only feed', async () => {
    const h265 = await makeRtspClip(dir, 16, 'h265');
    const cases: Array<{ server: Parameters<typeof RtspTestServer.start>[0]; rtsp?: RtspOptionsInput; audio: boolean }> = [
      { server: { clip: h265, video: 'h265', audio: 'opus' }, audio: true },
      { server: { clip, audio: 'pcma' }, rtsp: { transport: 'udp' }, audio: true },
      { server: { clip, audio: 'pcmu' }, audio: true },
      { server: { clip, audio: 'none' }, audio: false },
    ];
    for (const [i, c] of cases.entries()) {
      const server = await serve(c.server);
      const log = watch(server.url(), `codec-${i}`, c.rtsp);
      await log.waitFor(`case ${i}: 4 windows`, () => log.affect().length >= 4, 30_000);
      log.stop();
      await server.close();
      const what = `${JSON.stringify(c)}: ${log.summary()}`;
      assert.deepEqual(log.status('started')[0]?.tracks, { video: true, audio: c.audio }, what);
      const windows = log.affect();
      assert.ok(windows.filter(happyFace).length >= 3, what);
      if (c.audio) assert.ok(windows.some((w) => (w.voice?.speech_ratio ?? 0) > 0.3), `speech: ${what}`);
      else assert.ok(windows.every((w) => w.voice === null), what);
    }
  });
});
