/** The feed's pure core: the replay log and a client's cursor over it, without sockets or timers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FeedCursor, type CursorItem, type Selection } from '../../src/sink/feed-cursor.js';
import type { EventType } from '../../src/sink/feed-protocol.js';
import { ReplayLog } from '../../src/sink/replay-log.js';

const all: ReadonlySet<EventType> = new Set(['affect', 'status', 'error']);
const sel = (streams: '*' | string[], types: ReadonlySet<EventType> = all, scope: string[] | null = null): Selection => ({ streams: streams === '*' ? '*' : new Set(streams), types, scope: scope ? new Set(scope) : null });
const put = (log: ReplayLog, stream: string, type = 'affect') => log.append(stream, type, (seq) => Buffer.from(`${stream}:${seq}`));
function drain(cursor: FeedCursor): string[] {
  const out: string[] = [];
  for (let item: CursorItem | undefined; (item = cursor.take()); ) out.push(item.kind === 'entry' ? item.entry.data.toString() : JSON.stringify(item.message));
  return out;
}

describe('replay log and feed cursor', () => {
  it('numbers each stream from 0, keeps the last N, and hands entries out in publication order', () => {
    const log = new ReplayLog({ perStream: 3, maxStreams: 8 });
    for (const s of ['a', 'b', 'a', 'a', 'b', 'a']) put(log, s);
    assert.equal(log.nextSeq('a'), 4);
    assert.equal(log.oldestSeq('a'), 1, 'a holds seqs 1..3');
    assert.deepEqual(drain(new FeedCursor(log, sel('*'), { replay: 'all', resume: {} })), ['b:0', 'a:1', 'a:2', 'b:1', 'a:3']);
    assert.deepEqual(drain(new FeedCursor(log, sel(['b']), { replay: 'all', resume: {} })), ['b:0', 'b:1']);
    assert.deepEqual(drain(new FeedCursor(log, sel('*'), { replay: 'none', resume: {} })), []);
  });

  it('resumes after a seq, with a gap for what the log no longer holds', () => {
    const log = new ReplayLog({ perStream: 3, maxStreams: 8 });
    for (let i = 0; i < 6; i += 1) put(log, 'a');
    assert.deepEqual(drain(new FeedCursor(log, sel('*'), { replay: 'none', resume: { a: 3 } })), ['a:4', 'a:5']);
    assert.deepEqual(drain(new FeedCursor(log, sel('*'), { replay: 'none', resume: { a: 0 } })), ['{"type":"gap","stream":"a","from":1,"to":2}', 'a:3', 'a:4', 'a:5']);
    assert.deepEqual(drain(new FeedCursor(log, sel('*'), { replay: 'none', resume: { a: 5 } })), []);
  });

  it('skips types it does not want, streams out of scope, and delivers streams that start later', () => {
    const log = new ReplayLog({ perStream: 10, maxStreams: 8 });
    put(log, 'a', 'status');
    put(log, 'b', 'status');
    const cursor = new FeedCursor(log, sel('*', new Set(['status'])), { replay: 'all', resume: {} });
    const scoped = new FeedCursor(log, sel('*', all, ['a', 'c']), { replay: 'all', resume: {} });
    put(log, 'a', 'affect');
    put(log, 'c', 'status');
    put(log, 'c', 'error');
    assert.deepEqual(drain(cursor), ['a:0', 'b:0', 'c:0']);
    assert.deepEqual(drain(scoped), ['a:0', 'a:1', 'c:0', 'c:1']);
  });

  it('counts the live backlog, and skipToHead turns it into one lagged notice with exact ranges', () => {
    const log = new ReplayLog({ perStream: 100, maxStreams: 8 });
    for (let i = 0; i < 5; i += 1) put(log, 'a');
    const cursor = new FeedCursor(log, sel('*', new Set(['affect'])), { replay: 'all', resume: {} });
    assert.equal(cursor.backlog(), 0, 'replayed history is not backlog');
    for (let i = 0; i < 4; i += 1) put(log, 'a'), put(log, 'b', i % 2 ? 'affect' : 'status');
    assert.equal(cursor.backlog(), 8);
    cursor.skipToHead();
    assert.equal(cursor.droppedTotal, 11, '5 replayed and 4 live of a, 2 affect of b (its status events were not wanted)');
    put(log, 'b');
    assert.deepEqual(drain(cursor), ['{"type":"lagged","dropped":11,"streams":{"a":{"dropped":9,"from":0,"to":8},"b":{"dropped":2,"from":0,"to":3}}}', 'b:4']);
  });

  it('reports entries that left the log before a slow cursor reached them as lagged', () => {
    const log = new ReplayLog({ perStream: 2, maxStreams: 8 });
    const cursor = new FeedCursor(log, sel('*'), { replay: 'none', resume: {} });
    for (let i = 0; i < 5; i += 1) put(log, 'a');
    assert.deepEqual(drain(cursor), ['{"type":"lagged","dropped":3,"streams":{"a":{"dropped":3,"from":0,"to":2}}}', 'a:3', 'a:4']);
  });

  it('drops the buffer of the stream that published least recently beyond maxStreams, keeping its numbering', () => {
    const log = new ReplayLog({ perStream: 4, maxStreams: 2 });
    put(log, 'a');
    put(log, 'b');
    put(log, 'c');
    assert.deepEqual(log.stats(), { streams: 3, messages: 2, bytes: 6 });
    assert.equal(log.get('a', 0), undefined);
    put(log, 'a');
    assert.equal(log.get('a', 1)!.data.toString(), 'a:1');
  });
});
