/**
 * WHIP end to end with a real browser: Debian's Chromium publishes its fake camera and microphone (a
 * talking, smiling face) to `serve`; the WebSocket feed carries per-second events with the face and
 * the speech; closing the page ends the stream; a publisher that stops sending gets `peer_lost` while
 * the other session goes on; bad requests get their HTTP status.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { StreamInfo } from '../../src/server/stream-registry.js';
import type { AffectEvent, StreamEvent } from '../../src/core/events.js';
import { FeedClient } from '../../src/tools/harness/feed.js';
import { tempDir } from '../../src/tools/harness/media.js';
import { launchChromium, makeFakeCapture, publishFromPage, startServe, type FakeCapture, type ServeChild } from '../../src/tools/harness/webrtc.js';

const TOKEN = 'test-token-0123456789';
const affects = (events: StreamEvent[], stream: string) => events.filter((e): e is AffectEvent => e.type === 'affect' && e.stream === stream);
const hasState = (events: StreamEvent[], stream: string, state: string) => events.some((e) => e.stream === stream && e.type === 'status' && e.state === state);

/** A minimal but valid SDP without any media section. */
const NO_MEDIA_OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

describe('WHIP ingest', () => {
  let dir: string;
  let capture: FakeCapture;
  let server: ServeChild;
  let browser: Browser | undefined;
  let feed: FeedClient | undefined;

  before(async () => {
    dir = tempDir();
    capture = await makeFakeCapture(dir);
    server = await startServe(['--workers', '1', '--whip-token', TOKEN]);
  });
  after(async () => {
    feed?.close();
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers bad requests with their HTTP status', async () => {
    const post = (body: string, headers: Record<string, string>) => fetch(`${server.url}/whip/bad`, { method: 'POST', headers, body });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const sdp = { 'content-type': 'application/sdp' };
    const noToken = await post(NO_MEDIA_OFFER, sdp);
    assert.equal(noToken.status, 401);
    assert.match(noToken.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await post(NO_MEDIA_OFFER, { ...sdp, authorization: 'Bearer wrong-token-000' })).status, 401);
    assert.equal((await post('this is not SDP', { ...sdp, ...auth })).status, 400);
    assert.equal((await post('v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nm=video\r\n', { ...sdp, ...auth })).status, 400, 'no s= line');
    const noMedia = await post(NO_MEDIA_OFFER, { ...sdp, ...auth });
    assert.equal(noMedia.status, 422);
    assert.equal(((await noMedia.json()) as { error: string }).error, 'unsupported_media');
    assert.equal((await post(NO_MEDIA_OFFER, { 'content-type': 'text/plain', ...auth })).status, 415);
    assert.equal((await fetch(`${server.url}/whip/bad/no-such-session`, { method: 'DELETE', headers: auth })).status, 404);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the server is still up');
  });

  it('turns a browser publisher into per-second events; page close ends it; a silent peer is reported while others go on', async () => {
    feed = await FeedClient.open(server.events);
    browser = await launchChromium(capture);
    const alice = await publishFromPage(browser, server.url, 'alice', TOKEN);
    assert.match(alice.session, /\/whip\/alice\/[0-9a-f-]{36}$/);
    const bob = await publishFromPage(browser, server.url, 'bob', TOKEN);

    // A second publisher to a live stream name is refused.
    const again = await fetch(`${server.url}/whip/alice`, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${TOKEN}` }, body: NO_MEDIA_OFFER.replace('s=-', 's=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 96') });
    assert.equal(again.status, 409);

    await feed.waitFor('6 windows of alice and 2 of bob', (events) => affects(events, 'alice').length >= 6 && affects(events, 'bob').length >= 2, 60_000);
    // WHIP sessions are listed by the control API with every other stream.
    const listed = ((await (await fetch(`${server.url}/v1/streams`)).json()) as { streams: StreamInfo[] }).streams;
    for (const id of ['alice', 'bob']) {
      const entry = listed.find((s) => s.id === id);
      assert.ok(entry && entry.origin === 'whip' && entry.state === 'live' && entry.windows_out >= 2, JSON.stringify(listed));
    }
    const started = feed.of('alice')[0];
    assert.deepEqual(started, { type: 'status', stream: 'alice', state: 'started', windows: 0, tracks: { audio: true, video: true } });
    const windows = affects(feed.events, 'alice');
    for (const [i, w] of windows.entries()) {
      assert.equal(w.seq, i);
      if (i > 0) assert.ok(Math.abs(w.start - windows[i - 1]!.end) < 1e-9, 'windows are contiguous');
      assert.ok(w.latency_ms >= 0);
    }
    assert.ok(windows.filter((w) => w.faces.length >= 1).length >= 4, `faces found in most windows: ${windows.map((w) => w.faces.length)}`);
    assert.ok(windows.some((w) => w.expression?.label === 'Happiness'), 'the smile is seen');
    assert.ok(windows.some((w) => (w.voice?.speech_ratio ?? 0) > 0.3), `speech detected: ${windows.map((w) => w.voice?.speech_ratio)}`);

    // Bob's browser keeps the connection but stops sending media.
    await bob.page.evaluate(() => {
      const { pc } = (globalThis as unknown as { whip: { pc: { getSenders(): Array<{ replaceTrack(t: null): Promise<void> }> } } }).whip;
      return Promise.all(pc.getSenders().map((s) => s.replaceTrack(null)));
    });
    await feed.waitFor('bob to fail', (events) => hasState(events, 'bob', 'failed'), 20_000);
    const bobError = feed.of('bob').find((e) => e.type === 'error');
    assert.equal(bobError?.type === 'error' ? bobError.code : undefined, 'peer_lost');
    const aliceBefore = affects(feed.events, 'alice').length;
    await feed.waitFor('alice to go on', (events) => affects(events, 'alice').length >= aliceBefore + 2, 10_000);

    await alice.page.close({ runBeforeUnload: true });
    await feed.waitFor('alice to end', (events) => hasState(events, 'alice', 'ended'), 15_000);
    assert.ok(!feed.of('alice').some((e) => e.type === 'error'), JSON.stringify(feed.of('alice').filter((e) => e.type === 'error')));
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { whipSessions: number };
    assert.equal(health.whipSessions, 0, 'both sessions are freed');
    const finished = ((await (await fetch(`${server.url}/v1/streams`)).json()) as { streams: StreamInfo[] }).streams;
    assert.deepEqual(['alice', 'bob'].map((id) => finished.find((s) => s.id === id)?.state), ['ended', 'failed']);
  });
});
