/**
 * capacity: N paced 720p30 H.264 + AAC sources through one server, N stepped up until a step drops
 * frames or its p99 `latency_ms` reaches 1 s; the largest N before that is the capacity.
 */
import { join } from 'node:path';
import { makeTalkingClip } from '../clips.js';
import { runChild } from '../child.js';
import type { LiveRunResult } from '../live-run.js';
import type { OtherLoad } from '../machine.js';
import { fixed, table, writeJson, writeText } from '../report.js';
import { header, loadNote, withLoad, type BenchContext, type ScenarioOutcome } from '../scenario.js';
import { round, spread } from '../stats.js';
import { cdfPoints, lineChart, stack } from '../svg-chart.js';
import { STARTUP_WINDOWS } from './latency.js';

export interface CapacityOptions {
  readonly streams: readonly number[];
  readonly seconds: number;
}

export const P99_LIMIT_MS = 1000;

export interface CapacityStep {
  readonly streams: number;
  readonly passed: boolean;
  readonly why: string;
  readonly windows: number;
  readonly expectedWindows: number;
  readonly framesPerSecond: number;
  readonly latencyMs: { p50: number; p90: number; p99: number; max: number };
  readonly framesDropped: number;
  readonly errors: number;
  readonly cores: number;
  readonly inferenceCores: number;
  readonly peakRssMb: number;
  readonly load: OtherLoad;
}

export async function capacityScenario(ctx: BenchContext, options: CapacityOptions): Promise<ScenarioOutcome> {
  const clip = await makeTalkingClip(1, options.seconds, ctx.cacheDir);
  const steps: CapacityStep[] = [];
  const latencies = new Map<number, number[]>();
  let provider = '';
  for (const n of options.streams) {
    ctx.progress(`capacity: ${n} paced source(s), ${options.seconds} s`);
    const { value: run, load } = await withLoad(() =>
      runChild<LiveRunResult>('live', { clip, streams: n, sink: join(ctx.cacheDir, 'capacity-events.ndjson') }, { timeoutMs: (options.seconds + 120) * 1000, uvThreads: Math.min(1024, 3 * n + 16) }),
    );
    provider = run.provider;
    const counted = run.windows.filter((w) => w.seq >= STARTUP_WINDOWS);
    const latency = spread(counted.map((w) => w.latency));
    latencies.set(n, counted.map((w) => w.latency));
    const expectedWindows = n * options.seconds;
    const why = [
      run.framesDropped > 0 ? `${run.framesDropped} frames dropped` : '',
      latency.p99 >= P99_LIMIT_MS ? `p99 ${latency.p99.toFixed(0)} ms ≥ ${P99_LIMIT_MS}` : '',
      run.errors > 0 ? `${run.errors} errors` : '',
      run.windows.length < expectedWindows ? `${run.windows.length} of ${expectedWindows} windows` : '',
    ].filter((s) => s.length > 0).join('; ');
    const step: CapacityStep = {
      streams: n,
      passed: why.length === 0,
      why: why || 'ok',
      windows: run.windows.length,
      expectedWindows,
      framesPerSecond: round(run.framesAnalysed / run.wallS, 2),
      latencyMs: { p50: round(latency.p50), p90: round(latency.p90), p99: round(latency.p99), max: round(latency.max) },
      framesDropped: run.framesDropped,
      errors: run.errors,
      cores: round(run.cpuS / run.wallS, 3),
      inferenceCores: round(run.inferenceCpuS / run.wallS, 3),
      peakRssMb: round(run.peakRssMb, 1),
      load,
    };
    steps.push(step);
    ctx.progress(`  N=${n}: ${step.why}, p99 ${fixed(step.latencyMs.p99, 0)} ms, ${step.framesPerSecond} frames/s`);
    if (!step.passed) break;
  }
  const capacity = Math.max(0, ...steps.filter((s, i) => s.passed && steps.slice(0, i).every((p) => p.passed)).map((s) => s.streams));
  const name = `capacity-${ctx.stamp}`;
  const json = writeJson(ctx.resultsDir, name, {
    ...header('capacity'),
    settings: { seconds: options.seconds, streamsTried: options.streams, realtime: true, provider, criterion: `p99 latency_ms < ${P99_LIMIT_MS} ms and no dropped frames`, startupWindowsLeftOut: STARTUP_WINDOWS },
    capacity,
    steps,
  });
  const svg = writeText(ctx.resultsDir, `${name}.svg`, capacityCharts(steps, latencies));
  const rows = steps.map((s) => [
    String(s.streams),
    fixed(s.framesPerSecond, 1),
    fixed(s.latencyMs.p50, 1),
    fixed(s.latencyMs.p99, 1),
    fixed(s.latencyMs.max, 1),
    String(s.framesDropped),
    fixed(s.cores, 2),
    fixed(s.inferenceCores, 2),
    fixed(s.peakRssMb, 0),
    fixed(s.load.otherCores, 2),
    s.passed ? 'yes' : `no: ${s.why}`,
  ]);
  const text = [
    `capacity: paced 720p30 H.264 + AAC sources, ${options.seconds} s per step (latency_ms over all windows but each stream's first ${STARTUP_WINDOWS})`,
    table(['N', 'frames/s', 'p50 ms', 'p99 ms', 'max ms', 'dropped', 'cores', 'infer cores', 'RSS MB', 'other load', 'holds'], rows),
    `capacity: ${capacity} stream(s) with p99 < ${P99_LIMIT_MS} ms and no dropped frames; ${loadNote(steps.map((s) => s.load))}`,
  ].join('\n');
  return { table: text, files: [json, svg] };
}

function capacityCharts(steps: readonly CapacityStep[], latencies: ReadonlyMap<number, number[]>): string {
  const ns = steps.map((s) => s.streams);
  const throughput = lineChart({
    title: 'Throughput vs concurrent paced streams',
    x: { label: 'streams (N)', min: 0 },
    y: { label: 'face frames analysed per second', min: 0 },
    series: [
      { name: 'analysed', points: steps.map((s) => [s.streams, s.framesPerSecond]), dots: true },
      { name: 'offered (10 per stream)', points: ns.map((n) => [n, 10 * n]), dashed: true },
    ],
  });
  const p99 = lineChart({
    title: 'latency_ms vs concurrent paced streams',
    x: { label: 'streams (N)', min: 0 },
    y: { label: 'ms (log scale)', log: true },
    series: [
      { name: 'p99', points: steps.map((s) => [s.streams, Math.max(0.1, s.latencyMs.p99)]), dots: true },
      { name: 'p50', points: steps.map((s) => [s.streams, Math.max(0.1, s.latencyMs.p50)]), dots: true },
    ],
    hLines: [{ y: P99_LIMIT_MS, label: 'p99 limit 1 s' }],
  });
  const cdf = lineChart({
    title: 'latency_ms CDF per N',
    x: { label: 'ms (log scale)', log: true },
    y: { label: 'fraction of windows ≤ x', min: 0, max: 1 },
    series: [...latencies].map(([n, values]) => ({ name: `N = ${n}`, step: true, points: cdfPoints(values.map((v) => Math.max(0.1, v))) })),
  });
  return stack([throughput, p99, cdf]);
}
