/**
 * The core event schemas are the definition of the events: every event the analyser writes for a
 * generated clip parses, and parsing keeps it whole (a field the code writes but the schema does not
 * declare would be stripped, and the comparison shows which).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { streamEventSchema } from '../../src/core/events.js';
import { makePatternClip, parseNdjson, runCli, tempDir } from '../../src/tools/harness/media.js';

describe('core event schemas', () => {
  let dir: string;
  let events: Record<string, unknown>[];
  before(async () => {
    dir = tempDir();
    const clip = await makePatternClip(join(dir, 'pattern.mp4'), { seconds: 3 });
    const result = await runCli(['analyze', clip, '--workers', '1', '--features']);
    assert.equal(result.code, 0, result.stderr);
    events = parseNdjson(result.stdout);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every event of a generated clip parses and nothing it carries is undeclared', () => {
    assert.ok(events.some((e) => e.type === 'affect') && events.some((e) => e.type === 'status'));
    for (const event of events) {
      const parsed = streamEventSchema.safeParse(event);
      assert.ok(parsed.success, `${JSON.stringify(event)}: ${parsed.success ? '' : parsed.error.message}`);
      assert.deepEqual(parsed.data, event);
    }
  });

  it('refuses an event outside the contract', () => {
    const affect = events.find((e) => e.type === 'affect')!;
    assert.ok(!streamEventSchema.safeParse({ ...affect, expression: { label: 'Joy', probs: {} } }).success, 'a label outside the ABAW classes');
    assert.ok(!streamEventSchema.safeParse({ ...affect, valence: 1.5 }).success, 'valence outside [-1, 1]');
    assert.ok(!streamEventSchema.safeParse({ type: 'error', stream: 'a', code: 'no_such_code', message: 'x' }).success, 'an unknown error code');
    assert.ok(!streamEventSchema.safeParse({ type: 'status', stream: 'a', state: 'paused', windows: 0 }).success, 'an unknown state');
  });
});
