/**
 * How fast `analyze` runs offline, and how much memory it takes, on a 60 s 720p30 H.264 + AAC clip at
 * the default analysis rate, next to GStreamer decoding the same clip alone (the floor) in the same
 * run. Each measurement runs in a fresh process so peak RSS is that run's own.
 *
 *   node dist/bench/offline-speed.js [--faces 1|3] [--runs 3] [--workers N]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { CACHE, RESULTS, makeTalkingClip } from './clips.js';

const SECONDS = 60;

interface RunFigures {
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  events?: number;
}

const makeClip = (faces: 1 | 3) => makeTalkingClip(faces, SECONDS);

/** Child-process mode: do one measured run and print its figures as JSON. */
async function measureInProcess(mode: 'decode' | 'analyze', clip: string, workers: string | undefined): Promise<void> {
  const started = performance.now();
  let events = 0;
  if (mode === 'decode') {
    const { decodeUri, DEFAULT_DECODE_OPTIONS } = await import('../src/ingest/gst-source.js');
    const { reduce } = await import('rxjs');
    events = await lastValueFrom(decodeUri(pathToFileURL(clip).href, DEFAULT_DECODE_OPTIONS).pipe(reduce((n) => n + 1, 0)));
  } else {
    const { runAnalyze } = await import('../src/commands/analyze.js');
    const { parseAnalysisSettings } = await import('../src/commands/analysis-settings.js');
    const out = join(CACHE, 'events.ndjson');
    const code = await runAnalyze({ source: clip, out, settings: parseAnalysisSettings(workers ? { workers } : {}) });
    if (code !== 0) throw new Error(`analyze failed with ${code}`);
    const { readFileSync } = await import('node:fs');
    events = readFileSync(out, 'utf8').split('\n').filter((l) => l.includes('"type":"affect"')).length;
  }
  const wallS = (performance.now() - started) / 1000;
  const usage = process.resourceUsage();
  const figures: RunFigures = { wallS, cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6, maxRssMb: usage.maxRSS / 1024, events };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exit(0);
}

function runChild(mode: 'decode' | 'analyze', clip: string, workers: string | undefined): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    const args = [fileURLToPath(import.meta.url), '--child', mode, '--clip', clip, ...(workers ? ['--workers', workers] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { UV_THREADPOOL_SIZE: '16', ...process.env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as RunFigures) : reject(new Error(`${mode} run failed (${code})`))));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { child: { type: 'string' }, clip: { type: 'string' }, faces: { type: 'string', default: '1' }, runs: { type: 'string', default: '3' }, workers: { type: 'string' } } });
  if (values.child) return measureInProcess(values.child as 'decode' | 'analyze', values.clip!, values.workers);
  const faces = values.faces === '3' ? 3 : 1;
  const runs = Number(values.runs);
  const clip = await makeClip(faces);
  const decode: RunFigures[] = [];
  const analyze: RunFigures[] = [];
  // Interleaved, so drift in the machine's load touches both alike.
  for (let i = 0; i < runs; i++) {
    decode.push(await runChild('decode', clip, undefined));
    analyze.push(await runChild('analyze', clip, values.workers));
  }
  const summary = (rs: RunFigures[]) => ({
    speed_x: SECONDS / median(rs.map((r) => r.wallS)),
    wall_s: median(rs.map((r) => r.wallS)),
    cpu_s_per_media_s: median(rs.map((r) => r.cpuS)) / SECONDS,
    peak_rss_mb: Math.max(...rs.map((r) => r.maxRssMb)),
  });
  const result = {
    bench: 'offline-speed',
    clip: { seconds: SECONDS, video: '1280x720 30 fps H.264 ≈2 Mb/s', audio: 'AAC 48 kHz', faces },
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
    runs,
    decode_only: summary(decode),
    analyze: summary(analyze),
    events: analyze[0]?.events,
    raw: { decode, analyze },
  };
  const ratio = result.analyze.cpu_s_per_media_s / result.decode_only.cpu_s_per_media_s;
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `offline-speed-${faces}face-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ ...result, cpu_ratio_vs_decode: ratio }, null, 2));
  const row = (name: string, s: ReturnType<typeof summary>) =>
    `${name.padEnd(12)} ${s.speed_x.toFixed(1).padStart(7)}×  ${s.wall_s.toFixed(2).padStart(7)} s  ${s.cpu_s_per_media_s.toFixed(3).padStart(8)}  ${s.peak_rss_mb.toFixed(0).padStart(6)} MB`;
  console.log(`\noffline speed: ${SECONDS} s 720p30 H.264 + AAC, ${faces} face(s) in view, ${runs} runs each (median; peak RSS: max)`);
  console.log(`${'run'.padEnd(12)} ${'speed'.padStart(8)}  ${'wall'.padStart(9)}  ${'CPU s/s'.padStart(8)}  ${'RSS'.padStart(9)}`);
  console.log(row('decode only', result.decode_only));
  console.log(row('analyze', result.analyze));
  console.log(`analyze CPU ÷ decode-only CPU: ${ratio.toFixed(2)}; events: ${result.events}; written to ${file}`);
}

await main();
