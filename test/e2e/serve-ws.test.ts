import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { StreamEvent } from '../../src/core/events.js';
import { assertSchema } from '../helpers/feed-schema.js';
import { CLI, makeSmileThenEmptyClip, parseNdjson, runCli, tempDir } from '../../src/tools/harness/media.js';

/** Starts `serve` on a free port and resolves with its WebSocket URL once it listens. */
function startServe(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const line of stderr.split('\n')) {
        if (!line.includes('"listening"')) continue;
        const { events } = JSON.parse(line) as { events: string };
        resolve({ child, url: events });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

/** The pipeline's event without its wall-clock latency and the feed's numbering (`feed`). */
const withoutLatency = (e: StreamEvent) => {
  const { latency_ms: _latency, feed: _feed, ...rest } = e as StreamEvent & { latency_ms?: number; feed?: unknown };
  return rest;
};

describe('affectstream serve', () => {
  let dir: string;
  let clip: string;
  let server: { child: ChildProcess; url: string } | undefined;
  before(async () => {
    dir = tempDir();
    clip = await makeSmileThenEmptyClip(join(dir, 'clip.mp4'));
  });
  after(() => {
    server?.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a WebSocket client the same events analyze prints, and an error for a bad source without stopping', async () => {
    server = await startServe(['--source', clip, '--source', join(dir, 'missing.mp4')]);
    const socket = new WebSocket(server.url);
    const received: Array<StreamEvent | { type: 'hello' }> = [];
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as StreamEvent;
        assertSchema(message);
        received.push(message);
        if (message.type === 'status' && message.stream === 'clip.mp4' && message.state === 'ended') resolve();
      });
      socket.on('error', reject);
      setTimeout(() => reject(new Error(`no end of stream; got ${received.length} messages`)), 90_000);
    });
    socket.close();
    assert.equal(received[0]!.type, 'hello');
    // Every event of a stream is numbered by the feed, from 0, without holes.
    for (const stream of ['clip.mp4', 'missing.mp4']) {
      const numbered = received.filter((m) => m.type !== 'hello' && 'feed' in m && m.stream === stream).map((m) => (m as unknown as { feed: { seq: number } }).feed.seq);
      assert.deepEqual(numbered, numbered.map((_, i) => i), stream);
    }
    const fromFeed = received.filter((m): m is StreamEvent => m.type !== 'hello' && m.stream === 'clip.mp4');
    const missing = received.filter((m): m is StreamEvent => m.type !== 'hello' && m.stream === 'missing.mp4');
    assert.ok(missing.some((m) => m.type === 'error' && m.code === 'source_not_found'), JSON.stringify(missing));

    const { stdout } = await runCli(['analyze', clip]);
    const fromCli = parseNdjson<StreamEvent>(stdout);
    assert.equal(fromFeed.filter((e) => e.type === 'affect').length, 20);
    assert.deepEqual(fromFeed.map(withoutLatency), fromCli.map(withoutLatency));

    const health = await fetch(server.url.replace(/^ws/, 'http').replace('/v1/events', '/healthz'));
    assert.equal(health.status, 200, 'the server is still up');
  });
});
