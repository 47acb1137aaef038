/**
 * RTSP soak: `serve` (a child process, as in production) watches N RTSP streams from a real RTSP
 * server (GStreamer's rtsp-server, src/tools/harness/rtsp-server.py) for M minutes; every K seconds the
 * server is killed and started again after an outage. At the end the server is frozen (SIGSTOP:
 * sockets open, no data) to time the no-media watchdog. Prints, and writes to bench/results/:
 *
 * - RSS and open file descriptors of the serve process at the start (after warm-up), at each drop and
 *   at the end, and after every stream was deleted;
 * - per drop and stream: when `reconnecting` came after the kill, and how long after the server was
 *   back the stream `resumed` and its first affect event came;
 * - windows: received, marked `gap`, missing (a break in seq or in media time), errors;
 * - the frozen server: when each stream reported `reconnecting`.
 *
 * Asserts nothing.
 *
 *   node dist/src/tools/bench/standalone/rtsp-soak.js --streams 4 --minutes 10 --drop-every 120 --outage 3
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import type { AffectEvent, StatusEvent, StreamEvent } from '../../../core/events.js';
import { RtspTestServer } from '../../harness/rtsp.js';
import { makeTalkingClip, RESULTS, ROOT } from '../clips.js';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '4' },
    minutes: { type: 'string', default: '10' },
    'drop-every': { type: 'string', default: '120' },
    outage: { type: 'string', default: '3' },
    workers: { type: 'string', default: '1' },
  },
});
const STREAMS = Number(values.streams);
const SECONDS = Number(values.minutes) * 60;
const DROP_EVERY = Number(values['drop-every']);
const OUTAGE = Number(values.outage);
const CLI = join(ROOT, 'bin', 'affectstream.cjs');
const TOKEN = 'soak-token-123';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

interface Received {
  readonly at: number;
  readonly event: StreamEvent;
}

function rssKbOf(pid: number | string): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The decoder processes serve runs (one per RTSP connection). */
function childrenOf(pid: number): string[] {
  return readdirSync('/proc').filter((name) => {
    if (!/^\d+$/.test(name)) return false;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  });
}

/** serve's own RSS, file descriptors and threads, and its decoder processes' count and total RSS. */
function processFigures(pid: number): { rssMb: number; fds: number; threads: number; decoders: number; decodersRssMb: number } {
  const children = childrenOf(pid);
  const mb = (kb: number) => Math.round(kb / 102.4) / 10;
  return {
    rssMb: mb(rssKbOf(pid)),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    threads: readdirSync(`/proc/${pid}/task`).length,
    decoders: children.length,
    decodersRssMb: mb(children.reduce((sum, child) => sum + rssKbOf(child), 0)),
  };
}

function startServe(): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--workers', values.workers!, '--api-token', TOKEN], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const line = stderr.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
      if (stderr.length > 1e6) stderr = stderr.slice(-1e5);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr.slice(-2000)}`)));
  });
}

async function main(): Promise<void> {
  // The clip outlasts the time between drops: every connection starts it from the beginning, so the
  // feed never ends on its own between two forced drops.
  const clip = await makeTalkingClip(1, DROP_EVERY + 30);
  const server = await RtspTestServer.start({ clip });
  const serve = await startServe();
  const pid = serve.child.pid!;
  const received: Received[] = [];
  const socket = new WebSocket(`${serve.url.replace(/^http/, 'ws')}/v1/events`);
  socket.on('message', (data) => {
    const event = JSON.parse(data.toString()) as StreamEvent | { type: 'hello' };
    if (event.type !== 'hello') received.push({ at: now(), event });
  });
  await new Promise((resolve) => socket.once('open', resolve));
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${serve.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });

  const initial = processFigures(pid);
  const ids = Array.from({ length: STREAMS }, (_, i) => `cam-${i + 1}`);
  const t0 = now();
  for (const id of ids) {
    const response = await api('POST', '/v1/streams', { id, source: server.url() });
    if (response.status !== 201) throw new Error(`POST ${id}: ${response.status} ${await response.text()}`);
  }
  const log = (text: string) => process.stdout.write(`[${((now() - t0) / 1000).toFixed(1).padStart(6)} s] ${text}\n`);
  log(`${STREAMS} streams added; serve pid ${pid}: ${JSON.stringify(initial)} before`);

  // Warm-up: models loaded, every stream live, the first allocations made.
  await sleep(20_000);
  const start = processFigures(pid);
  log(`start (after 20 s warm-up): ${JSON.stringify(start)}`);
  const samples: Array<{ t: number } & ReturnType<typeof processFigures>> = [];
  const sampler = setInterval(() => samples.push({ t: Math.round((now() - t0) / 1000), ...processFigures(pid) }), 10_000);

  const drops: Array<{ killedAt: number; backAt: number; before: ReturnType<typeof processFigures> }> = [];
  for (let at = DROP_EVERY; at < SECONDS; at += DROP_EVERY) {
    await sleep(Math.max(0, t0 + at * 1000 - now()));
    const before = processFigures(pid);
    const killedAt = now();
    await server.kill();
    log(`server killed (${JSON.stringify(before)})`);
    await sleep(OUTAGE * 1000);
    await server.restart();
    const backAt = now();
    log('server back');
    drops.push({ killedAt, backAt, before });
  }
  await sleep(Math.max(0, t0 + SECONDS * 1000 - now()));
  clearInterval(sampler);
  const end = processFigures(pid);
  log(`end: ${JSON.stringify(end)}`);

  // A frozen server: sockets open, no data.
  const frozenAt = now();
  server.freeze();
  log('server frozen');
  await sleep(9_000);
  server.thaw();
  const thawedAt = now();
  log('server thawed');
  await sleep(8_000);

  for (const id of ids) await api('DELETE', `/v1/streams/${id}`);
  await sleep(2_000);
  const afterDelete = processFigures(pid);
  log(`all streams deleted: ${JSON.stringify(afterDelete)}`);
  socket.close();
  serve.child.kill('SIGTERM');
  await new Promise((resolve) => serve.child.once('exit', resolve));
  await server.close();

  // ---- figures
  const perStream = ids.map((id) => {
    const events = received.filter((r) => r.event.stream === id);
    const affect = events.filter((r): r is Received & { event: AffectEvent } => r.event.type === 'affect');
    const status = events.filter((r): r is Received & { event: StatusEvent } => r.event.type === 'status');
    let missing = 0;
    for (let i = 1; i < affect.length; i++) {
      const a = affect[i - 1]!.event;
      const b = affect[i]!.event;
      if (b.seq !== a.seq + 1 || Math.abs(b.start - a.end) > 1e-6) missing += Math.max(1, Math.round(b.start - a.end));
    }
    const inSoak = (r: Received) => r.at < frozenAt;
    const dropFigures = drops.map((d, i) => {
      const next = drops[i + 1]?.killedAt ?? frozenAt;
      const reconnecting = status.find((s) => s.event.state === 'reconnecting' && s.at >= d.killedAt && s.at < next);
      const resumed = status.find((s) => s.event.state === 'resumed' && s.at >= d.backAt && s.at < next);
      const firstEvent = affect.find((a) => a.at >= d.backAt && a.at < next);
      const firstLive = affect.find((a) => a.at >= d.backAt && a.at < next && !a.event.gap);
      const seconds = (t: number | undefined, from: number) => (t === undefined ? null : Math.round((t - from) / 10) / 100);
      return {
        reconnecting_after_kill_s: seconds(reconnecting?.at, d.killedAt),
        resumed_after_back_s: seconds(resumed?.at, d.backAt),
        first_event_after_back_s: seconds(firstEvent?.at, d.backAt),
        first_live_event_after_back_s: seconds(firstLive?.at, d.backAt),
        gap: resumed?.event.gap ?? null,
        attempts: status.filter((s) => s.event.state === 'reconnecting' && s.at >= d.killedAt && s.at < next).length,
      };
    });
    const frozenReconnecting = status.find((s) => s.event.state === 'reconnecting' && s.at >= frozenAt);
    const thawResumed = status.find((s) => s.event.state === 'resumed' && s.at >= thawedAt);
    return {
      id,
      windows: affect.filter(inSoak).length,
      gap_windows: affect.filter((a) => inSoak(a) && a.event.gap).length,
      missing_windows: missing,
      with_face: affect.filter((a) => inSoak(a) && a.event.faces.length > 0).length,
      errors: events.filter((r) => r.event.type === 'error').length,
      dropped_frames: affect.reduce((s, a) => s + a.event.dropped_frames, 0),
      drops: dropFigures,
      frozen_noticed_after_s: frozenReconnecting ? Math.round((frozenReconnecting.at - frozenAt) / 10) / 100 : null,
      frozen_reason: frozenReconnecting?.event.error?.message ?? null,
      thaw_resumed_after_s: thawResumed ? Math.round((thawResumed.at - thawedAt) / 10) / 100 : null,
    };
  });

  const result = { streams: STREAMS, seconds: SECONDS, dropEvery: DROP_EVERY, outage: OUTAGE, initial, start, end, afterDelete, samples, drops: drops.map((d) => d.before), perStream };
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `rtsp-soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));

  const rssMbs = samples.map((s) => s.rssMb);
  console.log(`\nRTSP soak: ${STREAMS} streams, ${SECONDS / 60} min, server killed every ${DROP_EVERY} s for ${OUTAGE} s`);
  console.log(`RSS MB: start ${start.rssMb}, end ${end.rssMb} (${(((end.rssMb - start.rssMb) / start.rssMb) * 100).toFixed(1)} %), min ${Math.min(...rssMbs)}, max ${Math.max(...rssMbs)}; after deleting all streams ${afterDelete.rssMb}`);
  console.log(`file descriptors: before any stream ${initial.fds}, start ${start.fds}, end ${end.fds}, after deleting all streams ${afterDelete.fds}; at each drop ${drops.map((d) => d.before.fds).join(', ')}`);
  console.log(`threads: before any stream ${initial.threads}, start ${start.threads}, end ${end.threads}, after deleting all streams ${afterDelete.threads}`);
  console.log(`decoder processes: start ${start.decoders} (${start.decodersRssMb} MB), end ${end.decoders} (${end.decodersRssMb} MB), after deleting all streams ${afterDelete.decoders}`);
  const total = (f: typeof start) => Math.round((f.rssMb + f.decodersRssMb) * 10) / 10;
  console.log(`serve + decoders RSS MB: start ${total(start)}, end ${total(end)} (${(((total(end) - total(start)) / total(start)) * 100).toFixed(1)} %)`);
  console.log('\nstream   windows gap missing face errors dropped | per drop: reconnecting after kill / resumed after back / first event / first live event (s)');
  for (const s of perStream) {
    const drops = s.drops.map((d) => `${d.reconnecting_after_kill_s}/${d.resumed_after_back_s}/${d.first_event_after_back_s}/${d.first_live_event_after_back_s}`).join('  ');
    console.log(`${s.id.padEnd(8)} ${String(s.windows).padStart(7)} ${String(s.gap_windows).padStart(3)} ${String(s.missing_windows).padStart(7)} ${String(s.with_face).padStart(4)} ${String(s.errors).padStart(6)} ${String(s.dropped_frames).padStart(7)} | ${drops}`);
  }
  console.log(`\nfrozen server: noticed after ${perStream.map((s) => s.frozen_noticed_after_s).join(', ')} s (${perStream[0]?.frozen_reason}); resumed ${perStream.map((s) => s.thaw_resumed_after_s).join(', ')} s after thawing`);
  console.log(`results: ${file}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
