/**
 * latency: one source paced in real time through the whole pipeline; `latency_ms` and each stage's
 * share, as percentiles over the windows and as CDFs.
 */
import { join } from 'node:path';
import { makeTalkingClip } from '../clips.js';
import { runChild } from '../child.js';
import type { LiveRunResult, WindowStages } from '../live-run.js';
import { fixed, table, writeJson, writeText } from '../report.js';
import { header, loadNote, withLoad, type BenchContext, type ScenarioOutcome } from '../scenario.js';
import { round, spread, type Spread } from '../stats.js';
import { cdfPoints, lineChart } from '../svg-chart.js';

export interface LatencyOptions {
  /** Clip length; every window but each stream's first two (start-up) is counted. */
  readonly seconds: number;
}

/** Each stream's first windows include preroll and the first model calls: start-up, not steady state. */
export const STARTUP_WINDOWS = 2;

export const STAGES = ['decode', 'queue', 'inference', 'fusion', 'send'] as const;
const ROWS = [...STAGES, 'latency', 'total', 'endToEnd', 'faceBranch', 'voiceBranch'] as const;
/** Drawn in the CDF; the branch rows only explain the inference stage. */
const CDF_ROWS = [...STAGES, 'latency', 'endToEnd'] as const;
type Row = (typeof ROWS)[number];

const ROW_NAMES: Record<Row, string> = {
  decode: 'decode (late vs schedule)',
  queue: 'queue',
  inference: 'inference',
  fusion: 'fusion',
  send: 'send',
  latency: 'latency_ms (event)',
  total: 'arrival → sink',
  endToEnd: 'end to end (decode + sink)',
  faceBranch: 'arrival → face results in',
  voiceBranch: 'arrival → voice result in',
};

export function stageSpreads(windows: readonly WindowStages[]): Record<Row, Spread> {
  const of = (f: (w: WindowStages) => number) => spread(windows.map(f));
  return {
    decode: of((w) => w.decode),
    queue: of((w) => w.queue),
    inference: of((w) => w.inference),
    fusion: of((w) => w.fusion),
    send: of((w) => w.send),
    latency: of((w) => w.latency),
    total: of((w) => w.total),
    endToEnd: of((w) => w.decode + w.total),
    faceBranch: of((w) => w.faceBranch),
    voiceBranch: of((w) => w.voiceBranch),
  };
}

export const TARGETS = { p50Ms: 25, p99Ms: 100 };

export async function latencyScenario(ctx: BenchContext, options: LatencyOptions): Promise<ScenarioOutcome> {
  const clip = await makeTalkingClip(1, options.seconds, ctx.cacheDir);
  ctx.progress(`latency: 1 paced 720p30 H.264 + AAC source, ${options.seconds} s`);
  const { value: run, load } = await withLoad(() =>
    runChild<LiveRunResult>('live', { clip, streams: 1, sink: join(ctx.cacheDir, 'latency-events.ndjson') }, { timeoutMs: (options.seconds + 90) * 1000 }),
  );
  const windows = run.windows.filter((w) => w.seq >= STARTUP_WINDOWS);
  const spreads = stageSpreads(windows);
  const rounded = Object.fromEntries(Object.entries(spreads).map(([k, s]) => [k, roundSpread(s)]));
  const met = spreads.latency.p50 <= TARGETS.p50Ms && spreads.latency.p99 <= TARGETS.p99Ms;
  const dominant = dominantStage(spreads);
  const dominantAtP50 = dominantStage(spreads, 'p50');
  const { windows: _all, ...figures } = run;
  const name = `latency-${ctx.stamp}`;
  const json = writeJson(ctx.resultsDir, name, {
    ...header('latency'),
    load,
    settings: { streams: 1, seconds: options.seconds, realtime: true, workers: run.workers, threads: run.threads, provider: run.provider, startupWindowsLeftOut: STARTUP_WINDOWS },
    run: { ...figures, cores: round(run.cpuS / run.wallS, 3) },
    windowsCounted: windows.length,
    stagesMs: rounded,
    targets: { ...TARGETS, met, dominantStageAtP50: dominantAtP50, dominantStageAtP99: dominant },
    windows,
  });
  const svg = writeText(ctx.resultsDir, `${name}-cdf.svg`, latencyCdf(windows, `Latency CDF, 1 paced stream, ${windows.length} windows`));
  const rows = ROWS.map((r) => [ROW_NAMES[r], fixed(spreads[r].p50, 2), fixed(spreads[r].p90, 2), fixed(spreads[r].p99, 2), fixed(spreads[r].max, 2), fixed(spreads[r].mean, 2)]);
  const text = [
    `latency, 1 stream, ${windows.length} windows (ms; stage percentiles do not add up)`,
    table(['stage', 'p50', 'p90', 'p99', 'max', 'mean'], rows),
    `target latency_ms p50 ≤ ${TARGETS.p50Ms} and p99 ≤ ${TARGETS.p99Ms}: ${met ? 'met' : `missed (largest stage at p50: ${dominantAtP50}; at p99: ${dominant})`}; ${loadNote([load])}`,
  ].join('\n');
  return { table: text, files: [json, svg] };
}

function roundSpread(s: Spread): Spread {
  return { n: s.n, p50: round(s.p50, 3), p90: round(s.p90, 3), p99: round(s.p99, 3), max: round(s.max, 3), mean: round(s.mean, 3) };
}

/** The stage with the largest share at percentile `at`, and for inference which branch finished last. */
export function dominantStage(spreads: Record<Row, Spread>, at: 'p50' | 'p99' = 'p99'): string {
  const stage = STAGES.map((s) => [s, spreads[s][at]] as const).reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  if (stage !== 'inference') return stage;
  return `inference, ${spreads.voiceBranch[at] >= spreads.faceBranch[at] ? 'voice' : 'face'} branch last`;
}

export function latencyCdf(windows: readonly WindowStages[], title: string): string {
  const floorMs = 0.01;
  const series = CDF_ROWS.map((r) => ({
    name: ROW_NAMES[r],
    step: true,
    dashed: r === 'latency' || r === 'endToEnd',
    points: cdfPoints(windows.map((w) => Math.max(floorMs, r === 'endToEnd' ? w.decode + w.total : w[r]))),
  }));
  return lineChart({
    title,
    // A decade past the p99 target, so the target lines stand inside the plot.
    x: { label: 'ms (log scale; values below 0.01 ms drawn at 0.01)', log: true, min: floorMs, ...(windows.every((w) => w.decode + w.total < 1000) ? { max: 1000 } : {}) },
    y: { label: 'fraction of windows ≤ x', min: 0, max: 1 },
    series,
    vLines: [{ x: TARGETS.p50Ms, label: 'p50 target' }, { x: TARGETS.p99Ms, label: 'p99 target' }],
  });
}
