/**
 * Event feed under load: `affectstream serve` analyses 4 copies of the talking clip paced like live
 * sources while WebSocket subscribers on loopback read every stream. Two phases in one run, each with a
 * fresh server: the baseline with 1 subscriber, then `--clients` subscribers (200) plus one subscriber
 * that never reads. For each phase, over `--seconds` after a warm-up, it prints (never asserts):
 *
 * - the serve process's CPU (cores, from /proc utime+stime) and RSS (mean and peak, sampled each second);
 * - event delay: from the event's emission by the feed (`feed.ts`, stamped at publish) to its receipt
 *   by each subscriber, p50/p99/max over every delivery; and `latency_ms` p50/p99 for context;
 * - from /metrics: the most bytes held for unsent messages (every 5 s), events dropped for lagging
 *   clients (at the end). The stalled subscriber stops answering pings too, so the idle timeout (45 s)
 *   cuts it off during the phase.
 *
 * The feed's cost is the difference between the phases. The subscribers run in this process (its CPU
 * is printed too): on a small machine they compete with the server for the same cores.
 *
 * Usage: node dist/src/tools/bench/standalone/feed-load.js [--clients 200] [--streams 4] [--seconds 120] [--warmup 15]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { startServe } from '../../harness/webrtc.js';
import { makeTalkingClip } from '../clips.js';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '200' }, streams: { type: 'string', default: '4' }, seconds: { type: 'string', default: '120' }, warmup: { type: 'string', default: '15' } } });
const clients = Number(values.clients);
const streams = Number(values.streams);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, '')) * 1024;
}

interface PhaseResult {
  subscribers: number;
  cores: number;
  rssMeanMb: number;
  rssPeakMb: number;
  deliveries: number;
  delayP50: number;
  delayP99: number;
  delayMax: number;
  latencyP50: number;
  latencyP99: number;
  benchCores: number;
  bufferedBytes: number;
  laggedDropped: number;
  stalledClosed: boolean;
}

async function phase(clip: string, subscribers: number, withStalled: boolean): Promise<PhaseResult> {
  const sources = Array.from({ length: streams }, () => ['--source', clip]).flat();
  const server = await startServe(['--realtime', ...sources]);
  const pid = server.child.pid!;
  let measuring = false;
  const delays: number[] = [];
  const latencies: number[] = [];
  const windowsPerStream = new Map<string, number>();
  const sockets: WebSocket[] = [];
  const open = (url: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
  for (let i = 0; i < subscribers; i += 1) {
    const socket = await open(`${server.events}?replay=none`);
    const first = i === 0;
    socket.on('message', (data) => {
      const received = Date.now();
      const text = data.toString();
      // `feed` is the last field of every event: read its ts without parsing the whole message, so
      // that 200 subscribers in one process do not delay one another more than they must.
      const at = text.lastIndexOf('"feed":{"seq":');
      if (at < 0) return;
      if (measuring) delays.push(received - Number(text.slice(text.indexOf('"ts":', at) + 5, -2)));
      if (!first) return;
      const message = JSON.parse(text) as { type: string; stream: string; latency_ms?: number };
      if (message.type !== 'affect') return;
      windowsPerStream.set(message.stream, (windowsPerStream.get(message.stream) ?? 0) + 1);
      if (measuring && message.latency_ms !== undefined) latencies.push(message.latency_ms);
    });
    sockets.push(socket);
  }
  let stalled: WebSocket | undefined;
  let stalledClosed = false;
  if (withStalled) {
    stalled = await open(`${server.events}?replay=none`);
    stalled.on('close', () => (stalledClosed = true));
    stalled.pause();
  }
  // Warm-up: every stream has produced windows for `warmup` seconds (the first ones wait for models to load).
  while ([...windowsPerStream.values()].filter((n) => n >= warmup).length < streams) await sleep(250);
  measuring = true;
  const cpu0 = cpuSeconds(pid);
  const bench0 = process.cpuUsage();
  const t0 = performance.now();
  const rss: number[] = [];
  let bufferedBytes = 0;
  const scrape = async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    return (name: string) => Number(metrics.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1] ?? NaN);
  };
  for (let i = 0; performance.now() - t0 < seconds * 1000; i += 1) {
    rss.push(rssBytes(pid));
    // Every 5 s: what the server holds unsent for its clients (the stalled one, until it is cut off).
    if (i % 5 === 0) bufferedBytes = Math.max(bufferedBytes, (await scrape())('affectstream_feed_buffered_bytes'));
    await sleep(1000);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cores = (cpuSeconds(pid) - cpu0) / elapsed;
  const bench = process.cpuUsage(bench0);
  measuring = false;
  const metric = await scrape();
  for (const s of sockets) s.terminate();
  stalled?.terminate();
  await server.stop();
  delays.sort((a, b) => a - b);
  latencies.sort((a, b) => a - b);
  return {
    subscribers,
    cores,
    rssMeanMb: rss.reduce((a, b) => a + b, 0) / rss.length / 2 ** 20,
    rssPeakMb: Math.max(...rss) / 2 ** 20,
    deliveries: delays.length,
    delayP50: percentile(delays, 50),
    delayP99: percentile(delays, 99),
    delayMax: delays.at(-1) ?? NaN,
    latencyP50: percentile(latencies, 50),
    latencyP99: percentile(latencies, 99),
    benchCores: (bench.user + bench.system) / 1e6 / elapsed,
    bufferedBytes,
    laggedDropped: metric('affectstream_feed_lagged_dropped_total'),
    stalledClosed,
  };
}

const clip = await makeTalkingClip(1, seconds + warmup + 30);
console.log(`feed load: ${streams} live streams (${clip.split('/').at(-1)}, --realtime), ${seconds} s measured after ${warmup} windows per stream`);
const results = [await phase(clip, 1, false), await phase(clip, clients, true)];
console.log('\n| subscribers | server CPU (cores) | RSS mean / peak | deliveries | delay p50 / p99 / max | latency_ms p50 / p99 | bench CPU (cores) | unsent bytes held (max) | lagged drops |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const label = r.subscribers === 1 ? '1' : `${r.subscribers} + 1 stalled${r.stalledClosed ? ' (cut off)' : ''}`;
  console.log(`| ${label} | ${r.cores.toFixed(3)} | ${r.rssMeanMb.toFixed(0)} / ${r.rssPeakMb.toFixed(0)} MB | ${r.deliveries} | ${r.delayP50} / ${r.delayP99} / ${r.delayMax} ms | ${r.latencyP50.toFixed(1)} / ${r.latencyP99.toFixed(1)} ms | ${r.benchCores.toFixed(3)} | ${r.bufferedBytes} | ${r.laggedDropped} |`);
}
const [base, load] = results as [PhaseResult, PhaseResult];
console.log(`\nfeed cost of ${clients} subscribers: +${(load.cores - base.cores).toFixed(3)} cores, RSS +${(load.rssMeanMb - base.rssMeanMb).toFixed(0)} MB (mean) / +${(load.rssPeakMb - base.rssPeakMb).toFixed(0)} MB (peak), delay p99 +${load.delayP99 - base.delayP99} ms`);
process.exit(0);
