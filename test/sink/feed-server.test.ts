/**
 * The feed protocol against a real EventFeed on a real HTTP server, with real WebSocket clients; the
 * events are built here so that a test can publish exactly what it needs, as fast as it needs.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { TokenAuth } from '../../src/sink/auth.js';
import { EventFeed, type EventFeedOptions } from '../../src/sink/event-feed.js';
import type { AffectEvent, StreamEvent } from '../../src/core/events.js';
import type { ClientOptions } from 'ws';
import { FeedSocket, type Message } from '../helpers/feed-socket.js';

function affect(stream: string, seq: number, faces = 1): AffectEvent {
  return {
    type: 'affect', stream, seq, start: seq, end: seq + 1,
    expression: { label: 'Happiness', probs: { Neutral: 0.1, Anger: 0, Disgust: 0, Fear: 0, Happiness: 0.9, Sadness: 0, Surprise: 0, Other: 0 } },
    valence: 0.7, arousal: 0.4, weights: { face: 0.6, voice: 0.4 }, keyframes: [],
    faces: Array.from({ length: faces }, (_, i) => ({ box: [0.1, 0.1, 0.2 + i / 1e4, 0.3] as [number, number, number, number], score: 0.9, label: 'Happiness' as const })),
    voice: { speech: 0.9, speech_ratio: 0.8, level_db: -20, pitch_hz: 120, pitch_range_st: 3, arousal: 0.3 },
    frames: 10, dropped_frames: 0, latency_ms: 4.2,
  };
}
const started = (stream: string): StreamEvent => ({ type: 'status', stream, state: 'started', windows: 0, tracks: { video: true, audio: true } });
const failed = (stream: string, seq: number): StreamEvent => ({ type: 'error', stream, code: 'model_failed', message: 'one window failed', seq });

interface Harness {
  server: Server;
  feed: EventFeed;
  url: string;
}

const open: Array<{ close(): void }> = [];
let harness: Harness | undefined;

async function start(options: Partial<EventFeedOptions> = {}): Promise<Harness> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  const feed = new EventFeed(server, options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  harness = { server, feed, url: `ws://127.0.0.1:${port}/v1/events` };
  return harness;
}

async function connect(url: string, options: ClientOptions = {}): Promise<FeedSocket> {
  const socket = await FeedSocket.open(url, options);
  open.push(socket);
  return socket;
}

const seqs = (messages: Message[]) => messages.map((m) => m.feed!.seq);

afterEach(async () => {
  for (const s of open.splice(0)) s.close();
  if (harness) {
    await harness.feed.close();
    await new Promise<void>((resolve) => harness!.server.close(() => resolve()));
    harness = undefined;
  }
});

describe('event feed protocol', () => {
  it('greets, replays the buffer by default and numbers every event of a stream with feed.seq', async () => {
    const { feed, url } = await start();
    feed.publish(started('a'));
    feed.publish(affect('a', 0));
    feed.publish(started('b'));
    feed.publish(failed('a', 1));
    feed.publish(affect('b', 0));
    const client = await connect(url);
    await client.waitFor('5 events', () => client.events().length === 5);
    const [hello, subscribed] = client.messages;
    assert.equal(hello!.type, 'hello');
    assert.deepEqual(hello!.streams, ['a', 'b']);
    assert.deepEqual(hello!.last_seq, { a: 2, b: 1 });
    assert.deepEqual(subscribed, { type: 'subscribed', streams: '*', types: ['affect', 'status', 'error'] });
    assert.deepEqual(client.events().map((m) => [m.stream, m.type, m.feed!.seq]), [['a', 'status', 0], ['a', 'affect', 1], ['b', 'status', 0], ['a', 'error', 2], ['b', 'affect', 1]]);
    feed.publish(affect('a', 2));
    await client.waitFor('the live event', () => client.events().length === 6);
    assert.equal(client.events().at(-1)!.feed!.seq, 3);
    assert.ok(Math.abs(client.events().at(-1)!.feed!.ts - Date.now()) < 60_000);
  });

  it('subscribes to some streams and types, live only, by message or by URL', async () => {
    const { feed, url } = await start();
    for (const s of ['a', 'b', 'c']) feed.publish(started(s));
    const byMessage = await connect(`${url}?streams=`);
    byMessage.send({ type: 'subscribe', id: 'x1', streams: ['a', 'c'], types: ['affect'], replay: 'none' });
    await byMessage.waitFor('subscribed', () => byMessage.of('subscribed').length === 1);
    assert.deepEqual(byMessage.of('subscribed')[0], { type: 'subscribed', id: 'x1', streams: ['a', 'c'], types: ['affect'] });
    const byUrl = await connect(`${url}?streams=b,c&types=status,error&replay=none`);
    for (const s of ['a', 'b', 'c']) feed.publish(affect(s, 0));
    for (const s of ['a', 'b', 'c']) feed.publish(failed(s, 1));
    await byMessage.waitFor('2 events', () => byMessage.events().length === 2);
    await byUrl.waitFor('2 events', () => byUrl.events().length === 2);
    assert.deepEqual(byMessage.events().map((m) => [m.stream, m.type]), [['a', 'affect'], ['c', 'affect']]);
    assert.deepEqual(byUrl.events().map((m) => [m.stream, m.type]), [['b', 'error'], ['c', 'error']]);
    // A new subscription replaces the old one.
    byMessage.send({ type: 'subscribe', streams: '*', types: ['error'], replay: 'none' });
    await byMessage.waitFor('second subscribed', () => byMessage.of('subscribed').length === 2);
    feed.publish(failed('b', 2));
    feed.publish(affect('a', 3));
    feed.publish(started('d'));
    feed.publish(failed('d', 0));
    await byMessage.waitFor('errors of b and the new stream d', () => byMessage.events().length === 4);
    assert.deepEqual(byMessage.events().slice(2).map((m) => [m.stream, m.type]), [['b', 'error'], ['d', 'error']]);
  });

  it('resumes a reconnecting client with exactly the events it missed, and says gap for those no longer held', async () => {
    const { feed, url } = await start({ replayPerStream: 20 });
    for (let i = 0; i < 5; i += 1) feed.publish(affect('a', i)), feed.publish(affect('b', i));
    const first = await connect(`${url}?streams=a`);
    await first.waitFor('5 events', () => first.events().length === 5);
    const last = first.events().at(-1)!.feed!.seq;
    first.close();
    await first.waitFor('closed', () => first.closed !== undefined);
    for (let i = 5; i < 12; i += 1) feed.publish(affect('a', i)), feed.publish(affect('b', i));
    const again = await connect(`${url}?streams=a&resume=a:${last}`);
    await again.waitFor('7 missed events', () => again.events().length === 7);
    assert.deepEqual(seqs(again.events()), [5, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual(again.events().map((m) => m.seq), [5, 6, 7, 8, 9, 10, 11], 'the windows it missed, once each');
    feed.publish(affect('a', 12));
    await again.waitFor('live again', () => again.events().length === 8);
    assert.equal(again.of('gap').length, 0);

    // 30 more: the buffer (20 per stream) no longer holds the first 10 a late resumer asks for.
    for (let i = 13; i < 43; i += 1) feed.publish(affect('a', i));
    const late = await connect(`${url}?streams=`);
    late.send({ type: 'subscribe', streams: ['a'], resume: { a: 12 } });
    await late.waitFor('the rest of the buffer', () => late.events().length === 20);
    assert.deepEqual(late.of('gap'), [{ type: 'gap', stream: 'a', from: 13, to: 22 }]);
    assert.deepEqual(seqs(late.events()), Array.from({ length: 20 }, (_, i) => 23 + i));
    const gapAt = late.messages.findIndex((m) => m.type === 'gap');
    assert.ok(gapAt < late.messages.findIndex((m) => m.feed !== undefined), 'the gap comes before the events after it');
  });

  it('lags a client that never reads while another client receives everything, within a bounded socket buffer', async () => {
    const highWaterBytes = 32 * 1024;
    const { feed, url } = await start({ maxQueue: 40, highWaterBytes, replayPerStream: 100, heartbeatMs: 60_000, idleTimeoutMs: 600_000 });
    const reader = await connect(`${url}?replay=none`);
    const stalled = await connect(`${url}?replay=none`);
    stalled.socket.pause();
    const total = 3000;
    let maxStalledBuffer = 0;
    for (let i = 0; i < total; i += 10) {
      for (let j = i; j < i + 10; j += 1) feed.publish(affect(j % 2 ? 'a' : 'b', j, 40));
      await reader.waitFor(`${i + 10} events`, () => reader.events().length === i + 10);
      maxStalledBuffer = Math.max(maxStalledBuffer, feed.stats().bufferedBytes);
    }
    assert.equal(reader.events().length, total);
    assert.equal(reader.of('lagged').length, 0);
    for (const s of ['a', 'b']) assert.deepEqual(seqs(reader.events(s)), Array.from({ length: total / 2 }, (_, i) => i), `every event of ${s}, in order`);
    const stats = feed.stats();
    assert.ok(stats.laggedDropped > 0, 'the stalled client was lagged');
    const eventBytes = Buffer.byteLength(JSON.stringify({ ...affect('a', 0, 40), feed: { seq: 1000, ts: Date.now() } }));
    assert.ok(maxStalledBuffer <= highWaterBytes + eventBytes + 2048, `the stalled client held at most its high-water mark: ${maxStalledBuffer} bytes`);

    // Once it reads again, it gets what its socket held, then a lagged notice that accounts for every other event.
    stalled.socket.resume();
    feed.publish(affect('a', total, 40));
    await stalled.waitFor('the lagged notice and the newest event', () => stalled.events().some((m) => m.seq === total));
    const lagged = stalled.of('lagged') as Array<Message & { dropped: number; streams: Record<string, { dropped: number; from: number; to: number }> }>;
    assert.ok(lagged.length >= 1);
    const droppedSeqs = new Map<string, Set<number>>();
    for (const notice of lagged) for (const [s, r] of Object.entries(notice.streams)) for (let q = r.from; q <= r.to; q += 1) (droppedSeqs.get(s) ?? droppedSeqs.set(s, new Set()).get(s)!).add(q);
    for (const s of ['a', 'b']) {
      const got = seqs(stalled.events(s));
      assert.deepEqual(got, [...got].sort((x, y) => x - y), 'in order');
      const all = new Set([...got, ...(droppedSeqs.get(s) ?? [])]);
      const expected = s === 'a' ? total / 2 + 1 : total / 2;
      assert.equal(all.size, expected, `${s}: received + announced as dropped = published`);
      assert.equal(got.filter((q) => droppedSeqs.get(s)?.has(q)).length, 0, 'nothing both received and dropped');
    }
    assert.equal(lagged.reduce((n, l) => n + l.dropped, 0), stats.laggedDropped + (feed.stats().laggedDropped - stats.laggedDropped));
  });

  it('disconnects a client that never reads when so configured, and the others are untouched', async () => {
    const { feed, url } = await start({ maxQueue: 40, highWaterBytes: 32 * 1024, slowClient: 'disconnect' });
    const reader = await connect(`${url}?replay=none`);
    const stalled = await connect(`${url}?replay=none`);
    stalled.socket.pause();
    for (let i = 0; i < 2000; i += 10) {
      for (let j = i; j < i + 10; j += 1) feed.publish(affect('a', j, 40));
      await reader.waitFor(`${i + 10} events`, () => reader.events().length === i + 10);
    }
    assert.equal(feed.stats().slowDisconnects, 1);
    assert.equal(feed.clientCount, 1);
    assert.deepEqual(seqs(reader.events()), Array.from({ length: 2000 }, (_, i) => i));
    stalled.socket.resume();
    await stalled.waitFor('closed', () => stalled.closed !== undefined);
  });

  it('answers malformed, unknown, binary and oversized client messages with errors, and goes on', async () => {
    const { feed, url } = await start({ maxMessageBytes: 1024 });
    const client = await connect(`${url}?streams=`);
    const errors = () => client.messages.filter((m) => m.type === 'error');
    client.send('{not json');
    client.send({ type: 'subscribe' });
    client.send({ type: 'subscribe', streams: '*', types: ['nope'] });
    client.send({ type: 'launch' });
    client.send({ type: 'subscribe', streams: ['a'], resume: { a: -4 } });
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    client.send({ type: 'subscribe', streams: Array.from({ length: 100 }, (_, i) => `stream-${i}`) });
    await client.waitFor('7 errors', () => errors().length === 7);
    assert.deepEqual(errors().map((e) => e.code), ['bad_message', 'bad_message', 'bad_message', 'bad_message', 'bad_message', 'bad_message', 'message_too_large']);
    assert.match(String(errors()[1]!.message), /streams/);
    assert.match(String(errors()[4]!.message), /resume/);
    for (const e of errors()) assert.equal(e.stream, undefined, 'a protocol error names no stream');
    client.send({ type: 'ping', id: 'p1' });
    await client.waitFor('pong', () => client.of('pong').length === 1);
    assert.equal(client.of('pong')[0]!.id, 'p1');
    client.send({ type: 'subscribe', streams: ['a'] });
    feed.publish(affect('a', 0));
    await client.waitFor('an event after the errors', () => client.events().length === 1);
    // Past the hard limit (64 × the soft one) the connection is closed: 1009, message too big.
    client.send('x'.repeat(64 * 1024 + 1));
    await client.waitFor('closed', () => client.closed !== undefined);
    assert.equal(client.closed!.code, 1009);
    assert.equal(feed.stats().clientErrors, 7);
  });

  it('lets a token scoped to stream a read a and nothing of b', async () => {
    const auth = new TokenAuth([
      { name: 'ops', secret: 'ops-secret-0123456789' },
      { name: 'only-a', secret: 'a-secret-0123456789ab', streams: ['a'] },
    ]);
    const { feed, url } = await start({ auth });
    feed.publish(started('a'));
    feed.publish(started('b'));
    await assert.rejects(connect(url), { status: 401 });
    await assert.rejects(connect(`${url}?token=wrong-secret-0123456789`), { status: 401 });
    await assert.rejects(connect(url, { headers: { authorization: 'Bearer a-secret-0123456789ab-x' } }), { status: 401 });

    const scoped = await connect(`${url}?token=a-secret-0123456789ab`);
    const viaHeader = await connect(`${url}?streams=b,a`, { headers: { authorization: 'Bearer a-secret-0123456789ab' } });
    const ops = await connect(url, { headers: { authorization: 'Bearer ops-secret-0123456789' } });
    await scoped.waitFor('a started', () => scoped.events().length === 1);
    assert.deepEqual(scoped.messages[0]!.streams, ['a']);
    assert.deepEqual(scoped.messages[0]!.last_seq, { a: 0 });
    await viaHeader.waitFor('forbidden', () => viaHeader.of('error').length === 1);
    assert.equal(viaHeader.of('error')[0]!.code, 'forbidden');
    assert.equal(viaHeader.of('subscribed').length, 0, 'a subscription naming b is refused whole');
    scoped.send({ type: 'subscribe', streams: ['a'], resume: { b: 0 } });
    scoped.send({ type: 'subscribe', streams: ['b'] });
    await scoped.waitFor('two refusals', () => scoped.of('error').length === 2);
    assert.deepEqual(scoped.of('error').map((e) => e.code), ['forbidden', 'forbidden']);
    feed.publish(affect('b', 0));
    feed.publish(affect('a', 0));
    await scoped.waitFor('the event of a', () => scoped.events().length === 2);
    await ops.waitFor('every event', () => ops.events().length === 4);
    assert.deepEqual(scoped.events().map((m) => m.stream), ['a', 'a']);
    assert.deepEqual(viaHeader.events(), []);
    assert.deepEqual(ops.messages[0]!.streams, ['a', 'b']);
  });

  it('pings clients and drops one it has not heard from within the idle timeout', async () => {
    const { feed, url } = await start({ heartbeatMs: 100, idleTimeoutMs: 400 });
    const alive = await connect(url);
    const mute = await connect(url, { autoPong: false });
    let pings = 0;
    alive.socket.on('ping', () => (pings += 1));
    await mute.waitFor('the idle timeout', () => mute.closed !== undefined, 5000);
    assert.equal(mute.closed!.code, 4001);
    assert.ok(pings >= 3, `pings seen: ${pings}`);
    assert.equal(alive.closed, undefined);
    assert.equal(feed.clientCount, 1);
    assert.equal(feed.stats().idleDisconnects, 1);
  });
});
