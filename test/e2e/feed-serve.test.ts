/**
 * The production feed end to end: `affectstream serve` on two real clips paced like live sources,
 * bearer tokens with stream scopes, resume after a reconnect, /metrics; every message a client
 * receives is checked against the feed's JSON Schema (FeedSocket does it on arrival).
 */
import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FeedSocket, type Message } from '../helpers/feed-socket.js';
import { makeSmileThenEmptyClip, tempDir } from '../../src/tools/harness/media.js';
import { startServe, type ServeChild } from '../../src/tools/harness/webrtc.js';

const OPS = 'ops-secret-4f1c9a7e2b';
const READER = 'reader-secret-8d3e6b0a51';
const auth = (secret: string) => ({ headers: { authorization: `Bearer ${secret}` } });
const ended = (socket: FeedSocket, stream: string) => socket.events(stream).some((m) => m.type === 'status' && m.state === 'ended');

describe('event feed, end to end', () => {
  let dir: string;
  let server: ServeChild | undefined;
  const sockets: FeedSocket[] = [];
  before(async () => {
    dir = tempDir();
    const a = await makeSmileThenEmptyClip(join(dir, 'a.mp4'));
    copyFileSync(a, join(dir, 'b.mp4'));
  });
  after(async () => {
    for (const s of sockets) s.socket.terminate();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes a reconnecting client exactly, keeps scoped tokens to their streams, and exports metrics', async () => {
    server = await startServe(['--realtime', '--source', join(dir, 'a.mp4'), '--source', join(dir, 'b.mp4'), '--token', `ops:${OPS}`, '--token', `reader:${READER}:a.mp4`]);
    const open = async (url: string, options = {}) => {
      const s = await FeedSocket.open(url, options);
      sockets.push(s);
      return s;
    };
    await assert.rejects(open(server.events), { status: 401 });
    const all = await open(server.events, auth(OPS));
    const scoped = await open(`${server.events}?token=${READER}`);

    // A client reads a few windows of a.mp4, goes away while more arrive, and comes back with its last seq.
    const first = await open(`${server.events}?streams=a.mp4`, auth(OPS));
    await first.waitFor('3 windows of a.mp4', () => first.events().filter((m) => m.type === 'affect').length >= 3, 60_000);
    first.close();
    await first.waitFor('closed', () => first.closed !== undefined);
    const last = first.events().at(-1)!.feed!.seq;
    await all.waitFor('4 more events of a.mp4', () => all.events('a.mp4').some((m) => m.feed!.seq >= last + 4), 60_000);
    const reconnectedAt = Date.now();
    const second = await open(`${server.events}?streams=a.mp4&resume=a.mp4:${last}`, auth(OPS));
    for (const s of [all, second, scoped]) await s.waitFor('the end of a.mp4', () => ended(s, 'a.mp4'), 90_000);
    await all.waitFor('the end of b.mp4', () => ended(all, 'b.mp4'), 60_000);

    const reference = all.events('a.mp4');
    assert.equal(reference.filter((m) => m.type === 'affect').length, 20);
    assert.deepEqual([...first.events(), ...second.events()], reference, 'every event of a.mp4 exactly once, identical, in order');
    assert.equal(second.events()[0]!.feed!.seq, last + 1);
    assert.ok(second.events().filter((m) => m.feed!.ts <= reconnectedAt).length >= 4, `the missed events came from the replay buffer: last ${last}, reconnected at ${reconnectedAt}, got ${JSON.stringify(second.events().slice(0, 6).map((m) => m.feed))}`);
    assert.equal(second.of('gap').length, 0);

    // The token limited to a.mp4 sees a.mp4 only, and is refused b.mp4.
    assert.deepEqual(scoped.events(), reference);
    scoped.send({ type: 'subscribe', streams: ['b.mp4'] });
    await scoped.waitFor('a refusal', () => scoped.of('error').length === 1);
    assert.equal(scoped.of('error')[0]!.code, 'forbidden');
    // Its hello lists only what it may read; a.mp4 may not have started yet when it connected.
    const helloStreams = (scoped.messages[0] as Message & { streams: string[] }).streams;
    assert.ok(helloStreams.every((name) => name === 'a.mp4'), `hello listed ${JSON.stringify(helloStreams)}`);
    assert.equal(all.events('b.mp4').filter((m) => m.type === 'affect').length, 20);

    // /metrics: a token for every stream only.
    const metricsUrl = `${server.url}/metrics`;
    assert.equal((await fetch(metricsUrl)).status, 401);
    assert.equal((await fetch(metricsUrl, auth(READER))).status, 403);
    const response = await fetch(metricsUrl, auth(OPS));
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const text = await response.text();
    const value = (name: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      assert.ok(line, `${name} in /metrics`);
      return Number(line.slice(name.length + 1));
    };
    assert.equal(value('affectstream_windows_total{stream="a.mp4"}'), 20);
    assert.equal(value('affectstream_event_latency_seconds_count{stream="b.mp4"}'), 20);
    const frames = reference.filter((m) => m.type === 'affect').reduce((n, m) => n + (m.frames as number), 0);
    assert.equal(value('affectstream_frames_analysed_total{stream="a.mp4"}'), frames);
    assert.equal(value('affectstream_streams{state="ended"}'), 2);
    assert.ok(value('affectstream_inference_batches_total{model="detect"}') > 0);
    assert.ok(value('affectstream_inference_items_total{model="detect"}') >= value('affectstream_inference_batches_total{model="detect"}'));
    assert.ok(value('affectstream_feed_clients') >= 3);
    assert.ok(value('affectstream_feed_messages_sent_total') > 0);
    assert.equal(value('affectstream_feed_client_errors_total'), 1);
    assert.ok(value('process_resident_memory_bytes') > 0);

    // Secrets never reach the logs (the server logs a line per status change and per refused request).
    assert.ok(!server.stderr().includes(OPS) && !server.stderr().includes(READER), 'no token in the logs');
  });
});
