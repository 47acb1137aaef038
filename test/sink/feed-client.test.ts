/**
 * The typed feed client (src/client/feed-client.ts) against a real feed: it subscribes, and after its
 * connection is cut it reconnects and resumes, so each event arrives exactly once.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { AffectFeedClient, type FeedEvent, type FeedNotice } from '../../src/client/feed-client.js';
import { TokenAuth } from '../../src/sink/auth.js';
import { EventFeed } from '../../src/sink/event-feed.js';
import type { StreamEvent } from '../../src/core/events.js';
import { assertSchema } from '../helpers/feed-schema.js';

const status = (stream: string, windows: number): StreamEvent => ({ type: 'status', stream, state: 'started', windows });

async function take(iterator: AsyncIterator<FeedEvent>, n: number): Promise<FeedEvent[]> {
  const out: FeedEvent[] = [];
  while (out.length < n) {
    const r = await iterator.next();
    if (r.done) break;
    assertSchema(r.value);
    out.push(r.value);
  }
  return out;
}

describe('typed feed client', () => {
  it('reconnects after the connection drops and resumes: every event exactly once, in order', async () => {
    const server = createServer();
    const sockets = new Set<Socket>();
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    const feed = new EventFeed(server, { auth: new TokenAuth([{ name: 'reader', secret: 'reader-secret-01234567', streams: ['a', 'b'] }]) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
    for (let i = 0; i < 3; i += 1) feed.publish(status('a', i));
    const states: string[] = [];
    const notices: FeedNotice[] = [];
    const client = new AffectFeedClient(url, { token: 'reader-secret-01234567', WebSocket, streams: ['a', 'b'], types: ['status'], minDelayMs: 50, onState: (s) => states.push(s), onNotice: (n) => notices.push(n) });
    const events = client[Symbol.asyncIterator]();
    const replayed = await take(events, 3);
    assert.deepEqual(replayed.map((e) => e.feed.seq), [0, 1, 2]);

    // Cut every connection; publish while the client is away, to both streams and to one it must not read.
    for (const s of sockets) s.destroy();
    for (let i = 3; i < 8; i += 1) {
      feed.publish(status('a', i));
      feed.publish(status('b', i));
      feed.publish(status('c', i));
    }
    const after = await take(events, 10);
    assert.deepEqual(after.filter((e) => e.stream === 'a').map((e) => e.feed.seq), [3, 4, 5, 6, 7]);
    assert.deepEqual(after.filter((e) => e.stream === 'b').map((e) => e.feed.seq), [0, 1, 2, 3, 4]);
    assert.ok(!after.some((e) => e.stream === 'c'));
    assert.ok(states.filter((s) => s === 'open').length >= 2, `states: ${states.join(',')}`);

    // Live events after the resume, once each.
    feed.publish(status('a', 8));
    const [live] = await take(events, 1);
    assert.equal(live!.feed.seq, 8);
    assert.deepEqual(Object.fromEntries(client.positions), { a: 8, b: 4 });
    assert.deepEqual(notices, []);
    client.close();
    assert.equal((await events.next()).done, true);
    await feed.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a live-only client that reconnects gets what it missed, not the history before it connected', async () => {
    const server = createServer();
    const sockets = new Set<Socket>();
    server.on('connection', (s) => sockets.add(s));
    const feed = new EventFeed(server, { replayPerStream: 5 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
    for (let i = 0; i < 4; i += 1) feed.publish(status('a', i));
    const notices: FeedNotice[] = [];
    const client = new AffectFeedClient(url, { WebSocket, replay: 'none', minDelayMs: 50, onNotice: (n) => notices.push(n) });
    const events = client[Symbol.asyncIterator]();
    await new Promise<void>((resolve) => {
      const wait = setInterval(() => client.connected && (clearInterval(wait), resolve()), 10);
    });
    feed.publish(status('a', 4));
    assert.deepEqual((await take(events, 1)).map((e) => e.feed.seq), [4]);
    for (const s of sockets) s.destroy();
    // 8 events while away; the buffer holds 5: the client is told about the 3 it cannot get.
    for (let i = 5; i < 13; i += 1) feed.publish(status('a', i));
    assert.deepEqual((await take(events, 5)).map((e) => e.feed.seq), [8, 9, 10, 11, 12]);
    assert.deepEqual(notices, [{ type: 'gap', stream: 'a', from: 5, to: 7 }]);
    client.close();
    await feed.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
