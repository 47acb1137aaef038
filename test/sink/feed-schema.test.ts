/**
 * The feed's published JSON Schema: docs/feed-schema.json is what feedJsonSchemas() generates (so
 * the file other languages use cannot drift from the server), and it refuses what it should.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { feedJsonSchemas } from '../../src/sink/feed-protocol.js';
import { isValid } from '../helpers/feed-schema.js';
import { ROOT } from '../../src/tools/harness/media.js';

describe('feed JSON Schema', () => {
  it('docs/feed-schema.json is the generated schema', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'docs', 'feed-schema.json'), 'utf8')) as unknown;
    assert.deepEqual(committed, JSON.parse(JSON.stringify(feedJsonSchemas())), 'regenerate with: node -e "import(\'./dist/src/sink/feed-protocol.js\').then((m) => console.log(JSON.stringify(m.feedJsonSchemas(), null, 2)))" > docs/feed-schema.json');
  });

  it('accepts the protocol messages and refuses malformed ones', () => {
    assert.ok(isValid({ type: 'subscribe', streams: '*', replay: 'none', resume: { a: 3 } }, 'client'));
    assert.ok(isValid({ type: 'ping', id: 'x' }, 'client'));
    assert.ok(!isValid({ type: 'subscribe' }, 'client'), 'streams is required');
    assert.ok(!isValid({ type: 'subscribe', streams: '*', resume: { a: -1 } }, 'client'));
    assert.ok(!isValid({ type: 'subscribe', streams: '*', extra: 1 }, 'client'), 'client messages are closed');
    assert.ok(isValid({ type: 'gap', stream: 'a', from: 1, to: 4 }, 'server'));
    assert.ok(isValid({ type: 'error', code: 'forbidden', message: 'no' }, 'server'));
    assert.ok(isValid({ type: 'status', stream: 'a', state: 'started', windows: 0, feed: { seq: 0, ts: 1 }, future_field: true }, 'server'), 'events are open to new fields');
    assert.ok(!isValid({ type: 'status', stream: 'a', state: 'started', windows: 0 }, 'server'), 'events carry feed');
    assert.ok(!isValid({ type: 'lagged', dropped: 0, streams: {} }, 'lagged'));
    assert.ok(!isValid({ type: 'error', code: 'nope', message: 'x' }, 'server'));
  });
});
