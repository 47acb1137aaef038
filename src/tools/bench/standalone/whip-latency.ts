/**
 * Browser → WHIP → events latency. Debian's Chromium (headless, playwright-core) publishes a talking,
 * smiling face from its fake camera and microphone to `affectstream serve` for `--seconds` (≥ 60), and a
 * WebSocket client collects the stream's events. Prints, never asserts:
 *
 * - `latency_ms` p50/p90/p99 (server side: arrival of the window's last media packet → its event);
 * - first event: the first window's `latency_ms` (time from its media being complete to its event) and
 *   the wall time from the WHIP POST to the first event;
 * - CPU of the serve process over the run, per media second (analysis included), and, in a second
 *   phase, the CPU of the same WHIP session with analysis switched off (werift + RTP → GStreamer decode
 *   + frames into JS, in this process): "a WHIP session besides analysis". Chromium's own CPU is not
 *   counted in either.
 *
 * Usage: node dist/src/tools/bench/standalone/whip-latency.js [--seconds 70] [--ingest-seconds 30] [--workers 1]
 */
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { ignoreElements, tap } from 'rxjs';
import { WhipEndpoint } from '../../../ingest/webrtc/whip-endpoint.js';
import type { AffectEvent, StreamEvent } from '../../../core/events.js';
import { FeedClient } from '../../harness/feed.js';
import { tempDir } from '../../harness/media.js';
import { launchChromium, makeFakeCapture, publishFromPage, startServe } from '../../harness/webrtc.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '70' }, 'ingest-seconds': { type: 'string', default: '30' }, workers: { type: 'string', default: '1' } } });
const seconds = Number(values.seconds);
const ingestSeconds = Number(values['ingest-seconds']);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** utime + stime of a process in seconds, from /proc (Linux). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function withAnalysis(capture: Awaited<ReturnType<typeof makeFakeCapture>>): Promise<void> {
  const server = await startServe(['--workers', values.workers!]);
  const browser = await launchChromium(capture);
  const feed = await FeedClient.open(server.events);
  try {
    const postedAt = performance.now();
    const { page } = await publishFromPage(browser, server.url, 'bench');
    await feed.waitFor('the first event', (events) => events.some((e) => e.type === 'affect'), 30_000);
    const firstEventWallMs = performance.now() - postedAt;
    const cpu0 = processCpuSeconds(server.child.pid!);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpuSeconds = processCpuSeconds(server.child.pid!) - cpu0;
    const wallSeconds = (performance.now() - t0) / 1000;
    await page.close({ runBeforeUnload: true });
    await feed.waitFor('the end', (events) => events.some((e: StreamEvent) => e.type === 'status' && e.state !== 'started'), 15_000);
    const windows = feed.events.filter((e): e is AffectEvent => e.type === 'affect');
    const latencies = windows.map((w) => w.latency_ms).sort((a, b) => a - b);
    console.log(`windows: ${windows.length} (${windows.filter((w) => w.faces.length > 0).length} with a face, ${windows.filter((w) => (w.voice?.speech_ratio ?? 0) > 0).length} with speech), errors: ${feed.events.filter((e) => e.type === 'error').length}`);
    console.log(`latency_ms: p50 ${percentile(latencies, 50)}  p90 ${percentile(latencies, 90)}  p99 ${percentile(latencies, 99)}  max ${latencies.at(-1)}`);
    console.log(`first event: latency_ms ${windows[0]?.latency_ms} after its window's media was complete; ${Math.round(firstEventWallMs)} ms after the WHIP POST (includes ICE/DTLS set-up and one window of media)`);
    console.log(`serve process CPU with analysis: ${((cpuSeconds / wallSeconds) * 100).toFixed(1)} % of one core over ${wallSeconds.toFixed(0)} s (workers ${values.workers})`);
  } finally {
    feed.close();
    await browser.close();
    await server.stop();
  }
}

/** The same session with analysis off, in this process, so process.cpuUsage() counts only the ingest. */
async function ingestOnly(capture: Awaited<ReturnType<typeof makeFakeCapture>>): Promise<void> {
  let frames = 0;
  let chunks = 0;
  const whip = new WhipEndpoint({}, (_stream, media) =>
    media.pipe(
      tap((item) => (item.kind === 'video' ? (frames += 1) : item.kind === 'audio' ? (chunks += 1) : 0)),
      ignoreElements(),
    ), () => undefined);
  const server = createServer((req, res) => (whip.handles(req) ? whip.handle(req, res) : res.writeHead(404).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium(capture);
  try {
    const { page } = await publishFromPage(browser, url, 'ingest');
    await sleep(3000);
    const cpu0 = process.cpuUsage();
    const frames0 = frames;
    const t0 = performance.now();
    await sleep(ingestSeconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const wallSeconds = (performance.now() - t0) / 1000;
    console.log(`WHIP session without analysis (werift + jitter buffer + VP8/Opus decode + scale/convert + into JS): ${(((cpu.user + cpu.system) / 1e6 / wallSeconds) * 100).toFixed(1)} % of one core (${((frames - frames0) / wallSeconds).toFixed(1)} analysis frames/s, ${chunks} audio chunks)`);
    await page.close();
  } finally {
    await browser.close();
    await whip.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const dir = tempDir('affectstream-bench-');
try {
  const capture = await makeFakeCapture(dir, 10);
  await withAnalysis(capture);
  await ingestOnly(capture);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
