/**
 * The control API of `serve`, in process (so the test can count this process's handles): three RTSP
 * streams are added through the API, one is deleted while the other two run; their events go on
 * without a gap, and the deleted stream's pipeline, threads and sockets are gone. Also: validation,
 * auth and the listing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAnalysisSettings } from '../../src/server/analysis-settings.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { request } from 'node:http';
import { livePipelineCount } from '../../src/ingest/gstreamer-binding.js';
import { liveDecoderProcesses } from '../../src/ingest/rtsp/rtsp-connection.js';
import type { StreamInfo } from '../../src/server/stream-registry.js';
import type { AffectEvent, StreamEvent } from '../../src/core/events.js';
import { FeedClient } from '../../src/tools/harness/feed.js';
import { makeSmileThenEmptyClip, tempDir } from '../../src/tools/harness/media.js';
import { makeRtspClip, RtspTestServer } from '../../src/tools/harness/rtsp.js';

const TOKEN = 'test-api-token-1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Handles {
  fds: number;
  sockets: number;
  threads: number;
  /** GStreamer pipelines of this process, and decoder processes (one per RTSP connection). */
  pipelines: number;
  decoders: number;
  children: number;
  tcp: number;
}

/** Processes whose parent is this one (decoder processes, the RTSP test server). */
function childProcesses(): number {
  return readdirSync('/proc').filter((name) => {
    if (!/^\d+$/.test(name)) return false;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
    } catch {
      return false;
    }
  }).length;
}

function handles(): Handles {
  const links = readdirSync('/proc/self/fd').map((fd) => {
    try {
      return readlinkSync(join('/proc/self/fd', fd));
    } catch {
      return '';
    }
  });
  return {
    fds: links.length,
    sockets: links.filter((l) => l.startsWith('socket:')).length,
    threads: readdirSync('/proc/self/task').length,
    pipelines: livePipelineCount(),
    decoders: liveDecoderProcesses(),
    children: childProcesses(),
    tcp: process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length,
  };
}

describe('control API', () => {
  let dir: string;
  let rtsp: RtspTestServer;
  let server: RunningServer;
  let feed: FeedClient;
  let clip: string;

  // One connection per request (no keep-alive), so open sockets count only the streams' own.
  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }>((resolve, reject) => {
      const req = request(`${server.url}${path}`, { method, agent: false, headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } }, (response) => {
        let text = '';
        response.on('data', (d: Buffer) => (text += d.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    });
  const affect = (stream: string) => feed.of(stream).filter((e): e is AffectEvent => e.type === 'affect');

  before(async () => {
    dir = tempDir();
    rtsp = await RtspTestServer.start({ clip: await makeRtspClip(dir, 60) });
    clip = await makeSmileThenEmptyClip(join(dir, 'clip.mp4'));
    server = await startServer({ sources: [], host: '127.0.0.1', port: 0, settings: parseAnalysisSettings({ workers: 1 }), apiToken: TOKEN });
    feed = await FeedClient.open(`${server.url.replace(/^http/, 'ws')}/v1/events`);
  });
  after(async () => {
    feed?.close();
    await server?.close();
    await rtsp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds 3 streams, deletes one while the others run: no gap in the others, its pipeline and sockets are gone', async () => {
    const before = handles();
    for (const id of ['cam-a', 'cam-b']) {
      const added = await api('POST', '/v1/streams', { id, source: rtsp.url() });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.id, id);
      assert.equal(added.headers.location, `/v1/streams/${id}`);
    }
    await feed.waitFor('3 windows of a and b', () => affect('cam-a').length >= 3 && affect('cam-b').length >= 3, 40_000);
    const two = handles();
    // Without an id, the id comes from the URL's last segment.
    const third = await api('POST', '/v1/streams', { source: rtsp.url(), options: { transport: 'tcp', latencyMs: 100 } });
    assert.equal(third.status, 201, JSON.stringify(third.body));
    const c = String(third.body.id);
    assert.equal(c, 'clip');
    await feed.waitFor('3 windows of c', () => affect(c).length >= 3, 40_000);
    const three = handles();
    assert.equal(three.decoders, two.decoders + 1, `one more decoder: ${JSON.stringify({ two, three })}`);
    assert.equal(three.children, two.children + 1, `one more decoder process: ${JSON.stringify({ two, three })}`);
    assert.ok(three.fds > two.fds, `the third stream has its own pipes: ${JSON.stringify({ two, three })}`);

    const listed = await api('GET', '/v1/streams');
    const streams = listed.body.streams as StreamInfo[];
    assert.deepEqual(streams.map((s) => s.id).sort(), ['cam-a', 'cam-b', 'clip']);
    for (const s of streams) {
      assert.equal(s.state, 'live', JSON.stringify(s));
      assert.equal(s.origin, 'api');
      assert.ok(s.fps_in > 5 && s.windows_out >= 3 && s.uptime_s > 0 && s.drops >= 0 && s.last_error === null, JSON.stringify(s));
      assert.deepEqual(s.tracks, { video: true, audio: true });
    }

    const deletedAt = feed.events.length;
    const deleted = await api('DELETE', `/v1/streams/${c}`);
    assert.equal(deleted.status, 200);
    assert.equal((deleted.body as unknown as StreamInfo).state, 'ended');
    await sleep(1500);
    const afterDelete = handles();
    assert.equal(afterDelete.decoders, two.decoders, `decoders: ${JSON.stringify({ two, three, afterDelete })}`);
    assert.equal(afterDelete.children, two.children, `processes: ${JSON.stringify({ two, three, afterDelete })}`);
    assert.equal(afterDelete.pipelines, two.pipelines, `pipelines: ${JSON.stringify({ two, three, afterDelete })}`);
    assert.ok(afterDelete.sockets <= two.sockets, `sockets: ${JSON.stringify({ two, three, afterDelete })}`);
    assert.ok(afterDelete.fds <= two.fds, `file descriptors: ${JSON.stringify({ two, three, afterDelete })}`);
    assert.ok(afterDelete.tcp <= two.tcp, `TCP handles: ${JSON.stringify({ two, three, afterDelete })}`);
    assert.ok(afterDelete.threads <= two.threads + 2, `threads: ${JSON.stringify({ two, three, afterDelete })}`);
    const cEvents = feed.of(c);
    const last = cEvents[cEvents.length - 1] as StreamEvent;
    assert.deepEqual(last.type === 'status' ? [last.state, last.reason] : last, ['ended', 'deleted']);
    assert.equal((await api('GET', `/v1/streams/${c}`)).status, 404);
    assert.equal((await api('DELETE', `/v1/streams/${c}`)).status, 404);

    const windowsAt = { a: affect('cam-a').length, b: affect('cam-b').length };
    await feed.waitFor('3 more windows of a and b', () => affect('cam-a').length >= windowsAt.a + 3 && affect('cam-b').length >= windowsAt.b + 3, 20_000);
    assert.ok(feed.events.length > deletedAt);
    for (const id of ['cam-a', 'cam-b']) {
      const windows = affect(id);
      for (let i = 1; i < windows.length; i++) {
        assert.equal(windows[i]!.seq, windows[i - 1]!.seq + 1, `${id}: seq`);
        assert.ok(Math.abs(windows[i]!.start - windows[i - 1]!.end) < 1e-6 && !windows[i]!.gap, `${id}: no gap at window ${windows[i]!.seq}`);
      }
      assert.ok(windows.filter((w) => w.expression?.label === 'Happiness').length >= windows.length - 2, `${id} sees the face`);
      assert.equal(feed.of(id).filter((e) => e.type === 'error').length, 0);
    }

    for (const id of ['cam-a', 'cam-b']) assert.equal((await api('DELETE', `/v1/streams/${id}`)).status, 200);
    await sleep(1500);
    const end = handles();
    assert.equal(end.decoders, before.decoders, JSON.stringify({ before, end }));
    assert.equal(end.children, before.children, JSON.stringify({ before, end }));
    assert.ok(end.sockets <= before.sockets && end.fds <= before.fds, JSON.stringify({ before, end }));
    assert.deepEqual((await api('GET', '/v1/streams')).body, { streams: [] });
  });

  it('validates requests with clear 4xx errors and requires the bearer token', async () => {
    const noToken = await fetch(`${server.url}/v1/streams`);
    assert.equal(noToken.status, 401);
    assert.match(noToken.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await api('GET', '/v1/streams', undefined, { authorization: 'Bearer wrong-token-0' })).status, 401);

    const cases: Array<[unknown, Record<string, string>, number, string, RegExp]> = [
      ['{"source": ', {}, 400, 'invalid_json', /not JSON/],
      [{}, {}, 400, 'invalid_argument', /^source: /],
      [{ source: 42 }, {}, 400, 'invalid_argument', /^source: /],
      [{ source: rtsp.url(), id: 'has space' }, {}, 400, 'invalid_argument', /^id: a stream id is/],
      [{ source: rtsp.url(), extra: 1 }, {}, 400, 'invalid_argument', /extra/],
      [{ source: rtsp.url(), options: { transport: 'sctp' } }, {}, 400, 'invalid_argument', /^options\.transport: /],
      [{ source: rtsp.url(), options: { reconnect: { maxDelayMs: -1 } } }, {}, 400, 'invalid_argument', /^options\.reconnect\.maxDelayMs: /],
      [{ source: clip, options: { transport: 'tcp' } }, {}, 400, 'invalid_argument', /^options: options apply to rtsp/],
      [{ source: join(dir, 'missing.mp4') }, {}, 422, 'source_not_found', /no such file/],
      [{ source: rtsp.url() }, { 'content-type': 'text/plain' }, 415, 'unsupported_media_type', /application\/json/],
    ];
    for (const [body, headers, status, code, message] of cases) {
      const response = await api('POST', '/v1/streams', body, headers);
      assert.equal(response.status, status, `${JSON.stringify(body)} → ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error, code);
      assert.match(String(response.body.message), message);
    }
    assert.equal((await api('PUT', '/v1/streams')).status, 405);
    assert.equal((await api('GET', '/v1/streams/nope')).status, 404);

    // A second POST with the id of a running stream is a conflict. (An RTSP stream: its decoding runs
    // in a decoder process, so this test process holds no GStreamer pipeline that could delay its exit.)
    const added = await api('POST', '/v1/streams', { id: 'cam', source: rtsp.url() });
    assert.equal(added.status, 201);
    const again = await api('POST', '/v1/streams', { id: 'cam', source: clip });
    assert.equal(again.status, 409);
    assert.equal(again.body.error, 'conflict');
    await feed.waitFor('2 windows of cam', () => affect('cam').length >= 2, 30_000);
    const info = (await api('GET', '/v1/streams/cam')).body as unknown as StreamInfo;
    assert.equal(info.state, 'live');
    assert.ok(info.windows_out >= 2);
    assert.equal((await api('DELETE', '/v1/streams/cam')).status, 200);
    // A deleted stream's id is free again.
    const reused = await api('POST', '/v1/streams', { id: 'cam', source: rtsp.url() });
    assert.equal(reused.status, 201);
    assert.equal((await api('DELETE', '/v1/streams/cam')).status, 200);
  });

  it('accepts the server\'s full-access feed tokens when no API token is set, and refuses limited ones', async () => {
    const other = await startServer({
      sources: [],
      host: '127.0.0.1',
      port: 0,
      settings: parseAnalysisSettings({ workers: 1 }),
      tokens: [
        { name: 'ops', secret: 'ops-secret-0123456789' },
        { name: 'lobby-only', secret: 'lobby-secret-0123456789', streams: ['lobby'] },
      ],
    });
    try {
      const get = (secret?: string) => fetch(`${other.url}/v1/streams`, { headers: secret ? { authorization: `Bearer ${secret}` } : {} });
      assert.equal((await get()).status, 401);
      assert.equal((await get('ops-secret-0123456789')).status, 200);
      const limited = await get('lobby-secret-0123456789');
      assert.equal(limited.status, 403);
      assert.equal(((await limited.json()) as { error: string }).error, 'forbidden');
    } finally {
      await other.close();
    }
  });
});
