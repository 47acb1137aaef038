/**
 * How many live streams one server analyses: N file sources paced in real time (720p30 H.264
 * ≈2 Mb/s + AAC, one face, speech), started at spread-out phases of the second as independent callers
 * would be, all sharing one inference engine. For each N it prints face frames analysed per second,
 * mean batch size per model, p50/p99 of `latency_ms`, dropped frames, CPU use, peak RSS, and the same
 * with batching off (every request alone) in the same run, with the ratio of face frames analysed
 * per CPU-second. Each measurement runs in a fresh process, so peak RSS is that run's own.
 *
 *   node dist/src/tools/bench/standalone/live-capacity.js [--streams 1,2,4,8,12,16] [--seconds 20] [--workers N]
 *                                    [--batch-delay MS] [--batch-size N] [--fps N] [--no-off]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { percentile } from '../stats.js';
import { RESULTS, makeTalkingClip } from '../clips.js';

interface RunFigures {
  readonly streams: number;
  readonly batching: boolean;
  readonly mediaSeconds: number;
  readonly wallS: number;
  readonly framesAnalysed: number;
  readonly framesDropped: number;
  readonly windows: number;
  readonly errors: number;
  readonly latencyP50: number;
  readonly latencyP90: number;
  readonly latencyP99: number;
  readonly cpuS: number;
  readonly inferenceCpuS: number;
  readonly baseRssMb: number;
  readonly peakRssMb: number;
  readonly meanBatch: Record<string, number>;
  readonly workers: number;
}


/** Child-process mode: N paced streams through one engine; prints the run's figures as JSON. */
async function measureInProcess(clip: string, seconds: number, streams: number, batching: boolean, extra: Record<string, string>): Promise<void> {
  const { lastValueFrom, mergeMap, range, tap, timer, toArray } = await import('rxjs');
  const { parseAnalysisSettings, engineOptionsOf, streamOptionsOf, decodeOptionsOf } = await import('../../../server/analysis-settings.js');
  const { InferenceEngine } = await import('../../../pipeline/inference-engine.js');
  const { analyzeUri } = await import('../../../server/stream-analysis.js');
  const { loadManifest } = await import('../../../models/manifest.js');
  const settings = parseAnalysisSettings({ realtime: true, batching, ...extra });
  const engine = await InferenceEngine.create(engineOptionsOf(settings));
  const vad = loadManifest(settings.models).manifest.models.vad;
  const baseRssMb = process.memoryUsage().rss / 2 ** 20;
  const cpu0 = process.cpuUsage();
  const inference0 = await engine.pool.cpuTimeMs();
  const started = performance.now();
  const uri = pathToFileURL(clip).href;
  const seen = new Map<string, { events: number; last: string }>();
  // A run that has not finished long after its media ended is reported with where each stream stood.
  const watchdog = setTimeout(() => {
    process.stderr.write(`run did not finish: ${JSON.stringify({ streams: Object.fromEntries(seen), engine: engine.stats() })}\n`);
    process.exit(3);
  }, (seconds + 60) * 1000);
  watchdog.unref();
  // Callers join at spread-out phases of the second, so their windows do not all close at once.
  const events = await lastValueFrom(
    range(0, streams).pipe(
      mergeMap((i) => timer((i * 1000) / streams).pipe(mergeMap(() => analyzeUri(uri, decodeOptionsOf(settings), engine, vad, streamOptionsOf(settings, `s${i + 1}`))))),
      tap((e) => seen.set(e.stream, { events: (seen.get(e.stream)?.events ?? 0) + 1, last: e.type === 'status' ? e.state : e.type })),
      toArray(),
    ),
  );
  const wallS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const inferenceCpuS = ((await engine.pool.cpuTimeMs()) - inference0) / 1000;
  const stats = engine.stats();
  await engine.close();
  const affect = events.filter((e) => e.type === 'affect');
  // Each stream's first two windows include pipeline start-up (preroll, first batches), not steady state.
  const latencies = affect.filter((e) => e.seq >= 2).map((e) => e.latency_ms).sort((a, b) => a - b);
  const figures: RunFigures = {
    streams,
    batching,
    mediaSeconds: affect.reduce((s, e) => s + (e.end - e.start), 0),
    wallS,
    framesAnalysed: affect.reduce((n, e) => n + e.frames, 0),
    framesDropped: affect.reduce((n, e) => n + e.dropped_frames, 0),
    windows: affect.length,
    errors: events.filter((e) => e.type === 'error').length,
    latencyP50: percentile(latencies, 50),
    latencyP90: percentile(latencies, 90),
    latencyP99: percentile(latencies, 99),
    cpuS: (cpu.user + cpu.system) / 1e6,
    inferenceCpuS,
    baseRssMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    meanBatch: Object.fromEntries(stats.schedulers.map((s) => [s.name, Math.round(s.meanBatch * 100) / 100])),
    workers: stats.pool.workers,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exit(0);
}

function runChild(clip: string, seconds: number, streams: number, batching: boolean, extra: Record<string, string>): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    const args = [fileURLToPath(import.meta.url), '--child', '--clip', clip, '--seconds', String(seconds), '--streams', String(streams), '--batching', batching ? 'on' : 'off', '--extra', JSON.stringify(extra)];
    // Each pipeline holds libuv threads for its pending pulls and bus polls: three per stream.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, UV_THREADPOOL_SIZE: String(Math.min(1024, 3 * streams + 16)) } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as RunFigures) : reject(new Error(`run with ${streams} streams failed (${code}): ${err.slice(-2000)}`))));
  });
}

function row(r: RunFigures): string {
  const fps = r.framesAnalysed / r.wallS;
  const cells = [
    String(r.streams).padStart(3),
    (r.batching ? 'on' : 'off').padEnd(3),
    fps.toFixed(1).padStart(7),
    `${r.meanBatch.detect?.toFixed(2)}/${r.meanBatch.classify?.toFixed(2)}/${r.meanBatch.voice?.toFixed(2)}`.padStart(16),
    r.latencyP50.toFixed(0).padStart(5),
    r.latencyP99.toFixed(0).padStart(5),
    String(r.framesDropped).padStart(6),
    (r.cpuS / r.wallS).toFixed(2).padStart(5),
    (r.framesAnalysed / r.cpuS).toFixed(1).padStart(7),
    (r.framesAnalysed / Math.max(1e-9, r.inferenceCpuS)).toFixed(1).padStart(7),
    r.peakRssMb.toFixed(0).padStart(6),
  ];
  return cells.join('  ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'boolean', default: false },
      clip: { type: 'string' },
      streams: { type: 'string', default: '1,2,4,8,12,16' },
      batching: { type: 'string', default: 'on' },
      seconds: { type: 'string', default: '20' },
      workers: { type: 'string' },
      'batch-delay': { type: 'string' },
      'batch-size': { type: 'string' },
      fps: { type: 'string' },
      'no-off': { type: 'boolean', default: false },
      extra: { type: 'string', default: '{}' },
    },
  });
  if (values.child) return measureInProcess(values.clip!, Number(values.seconds), Number(values.streams), values.batching === 'on', JSON.parse(values.extra) as Record<string, string>);
  const extra: Record<string, string> = {};
  if (values.workers) extra.workers = values.workers;
  if (values['batch-delay']) extra.batchDelay = values['batch-delay'];
  if (values['batch-size']) extra.batchSize = values['batch-size'];
  if (values.fps) extra.fps = values.fps;
  const seconds = Number(values.seconds);
  const counts = values.streams.split(',').map(Number);
  const clip = await makeTalkingClip(1, seconds);
  const runs: RunFigures[] = [];
  console.log(`live capacity: N paced 720p30 H.264 ≈2 Mb/s + AAC sources, ${seconds} s each, one face; batching on vs off; settings ${JSON.stringify(extra)}`);
  console.log(`machine: ${cpus()[0]?.model}, ${cpus().length} cores, Node ${process.version}`);
  console.log('  N  bat  fps an.  batch det/cls/voi  p50ms p99ms  dropd  cores  fr/cpu-s  fr/inf-s  RSS MB');
  for (const n of counts) {
    // On then off for each N, so drift in the machine's load touches both alike.
    for (const batching of values['no-off'] ? [true] : [true, false]) {
      const r = await runChild(clip, seconds, n, batching, extra);
      runs.push(r);
      console.log(row(r));
    }
  }
  console.log('\nbatching on ÷ off, face frames analysed per CPU-second (whole process / inference threads only):');
  for (const n of counts) {
    const on = runs.find((r) => r.streams === n && r.batching)!;
    const off = runs.find((r) => r.streams === n && !r.batching);
    if (!off) continue;
    const whole = on.framesAnalysed / on.cpuS / (off.framesAnalysed / off.cpuS);
    const inference = on.framesAnalysed / on.inferenceCpuS / (off.framesAnalysed / off.inferenceCpuS);
    console.log(`  N=${String(n).padStart(2)}: ×${whole.toFixed(2)} whole process, ×${inference.toFixed(2)} inference threads`);
  }
  const on = runs.filter((r) => r.batching);
  if (on.length > 1) {
    const first = on[0]!;
    const last = on.at(-1)!;
    console.log(`\npeak RSS per added stream (batching on, N=${first.streams}→${last.streams}): ${((last.peakRssMb - first.peakRssMb) / (last.streams - first.streams)).toFixed(1)} MB`);
  }
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `live-capacity-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ bench: 'live-capacity', seconds, settings: extra, machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version }, runs }, null, 2));
  console.log(`written to ${file}`);
  console.log('columns: fps an. = face frames analysed per wall second; cores = process CPU ÷ wall; fr/cpu-s = frames per process CPU-second; fr/inf-s = frames per inference-thread CPU-second');
}

await main();
