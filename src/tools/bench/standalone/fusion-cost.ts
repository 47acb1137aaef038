/**
 * What the fusion stage costs (issue 6): CPU per stream-window and what it adds to `latency_ms`.
 *
 *   node dist/src/tools/bench/standalone/fusion-cost.js [--seconds 20] [--repeats 50] [--no-paced]
 *
 * 1. Analyses the 1-face talking clip once and keeps each window's branch results.
 * 2. Replays the fusion over them `repeats` times on the main thread: the parameter-free temporal
 *    fusion (the default pack) and, for comparison, the first fusion (per-window averages): CPU ms
 *    per stream-window (process CPU time; the inference workers are idle meanwhile).
 * 3. With a pack that declares a temporal fusion model (the test model that computes the
 *    parameter-free fusion in ONNX), the same replay through the engine: wall ms per window (the
 *    worker round trip), main-thread CPU and worker busy time per window.
 * 4. Paced like a live source, the clip analysed end to end with each pack: the time from a window's
 *    branch results to its event (what fusion adds to latency_ms), and latency_ms itself.
 * Prints a table and writes JSON to bench/results/. Asserts nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { decodeOptionsOf, engineOptionsOf, fusionOptionsOf, parseAnalysisSettings, streamOptionsOf } from '../../../server/analysis-settings.js';
import { StreamFusion } from '../../../fusion/stream-fusion.js';
import { fuseWindow, type WindowAnalysis } from '../../../fusion/window-fusion.js';
import { loadManifest } from '../../../models/manifest.js';
import { createWindowFuser } from '../../../fusion/fusion-stage.js';
import { InferenceEngine } from '../../../pipeline/inference-engine.js';
import { analyzeUri } from '../../../server/stream-analysis.js';
import type { AffectEvent } from '../../../core/events.js';
import { packWithFusion, temporalFusionModel } from '../../harness/fusion-models.js';
import { percentile as percentileOfSorted } from '../stats.js';
import { makeTalkingClip, RESULTS } from '../clips.js';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, repeats: { type: 'string' }, 'no-paced': { type: 'boolean' } } });
const seconds = Number(values.seconds ?? 20);
const repeats = Number(values.repeats ?? 50);

const percentile = (values: readonly number[], p: number): number => percentileOfSorted([...values].sort((a, b) => a - b), p);

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The whole clip through one engine; returns each window's branch results, events, and per-window time from results to event. */
async function analyse(clip: string, manifest: string | undefined, realtime: boolean) {
  const settings = parseAnalysisSettings({ realtime, ...(manifest ? { models: manifest } : {}) });
  const engine = await InferenceEngine.create(engineOptionsOf(settings));
  const analysedAt: number[] = [];
  const fusedMs: number[] = [];
  const analyses: WindowAnalysis[] = [];
  const options = {
    ...streamOptionsOf(settings, 'bench'),
    onAnalysis: (a: WindowAnalysis) => {
      analyses.push(a);
      analysedAt.push(performance.now());
    },
  };
  try {
    const events = await lastValueFrom(
      analyzeUri(pathToFileURL(clip).href, decodeOptionsOf(settings), engine, loadManifest(settings.models).manifest.models.vad, options).pipe(
        tap((e) => {
          if (e.type === 'affect') fusedMs.push(performance.now() - analysedAt[e.seq]!);
        }),
        toArray(),
      ),
    );
    return { analyses, events: events.filter((e): e is AffectEvent => e.type === 'affect'), fusedMs };
  } finally {
    await engine.close();
  }
}

async function main(): Promise<void> {
  const clip = await makeTalkingClip(1, seconds);
  const options = fusionOptionsOf(parseAnalysisSettings({}));
  const { analyses } = await analyse(clip, undefined, false);
  const windows = analyses.length;

  // Warm up, then measure the replay.
  const replay = (run: () => void) => {
    run();
    const cpu0 = cpuMs();
    const wall0 = performance.now();
    for (let r = 0; r < repeats; r++) run();
    return { cpuMsPerWindow: (cpuMs() - cpu0) / (repeats * windows), wallMsPerWindow: (performance.now() - wall0) / (repeats * windows) };
  };
  const temporal = replay(() => {
    const fusion = new StreamFusion(options);
    for (const a of analyses) {
      const prepared = fusion.prepare(a);
      fusion.finish(prepared, fusion.parameterFree(prepared));
    }
  });
  const first = replay(() => {
    for (const a of analyses) fuseWindow(a, options);
  });

  const dir = mkdtempSync(join(tmpdir(), 'affectstream-fusion-bench-'));
  try {
    const manifest = packWithFusion(join(dir, 'pack'), { temporal: temporalFusionModel(options.dilations, options.taps) });
    const engine = await InferenceEngine.create(engineOptionsOf(parseAnalysisSettings({ models: manifest })));
    let onnx;
    try {
      const perWindowWall: number[] = [];
      const busy0 = engine.pool.stats().busyMs;
      const cpu0 = cpuMs();
      const rounds = Math.max(1, Math.round(repeats / 5));
      for (let r = 0; r < rounds; r++) {
        const fuse = createWindowFuser(engine, options);
        for (const a of analyses) {
          const t0 = performance.now();
          await fuse(a);
          perWindowWall.push(performance.now() - t0);
        }
      }
      // process.cpuUsage counts the worker threads too: take the workers' busy time off for the main thread's share.
      const busyMs = engine.pool.stats().busyMs - busy0;
      onnx = {
        wallMsP50: percentile(perWindowWall, 50),
        wallMsP99: percentile(perWindowWall, 99),
        workerBusyMsPerWindow: busyMs / perWindowWall.length,
        processCpuMsPerWindow: (cpuMs() - cpu0) / perWindowWall.length,
      };
    } finally {
      await engine.close();
    }

    const paced: Record<string, { fusionAddsMsP50: number; fusionAddsMsP99: number; latencyP50: number; latencyP99: number; windows: number }> = {};
    if (!values['no-paced']) {
      for (const [name, pack] of [['parameter-free', undefined], ['onnx temporal model', manifest]] as const) {
        const run = await analyse(clip, pack, true);
        const latency = run.events.slice(2).map((e) => e.latency_ms);
        const adds = run.fusedMs.slice(2);
        paced[name] = { fusionAddsMsP50: percentile(adds, 50), fusionAddsMsP99: percentile(adds, 99), latencyP50: percentile(latency, 50), latencyP99: percentile(latency, 99), windows: run.events.length };
      }
    }

    const result = { clip, windows, repeats, temporal, first, onnx, paced, node: process.version, date: new Date().toISOString() };
    const f = (x: number) => x.toFixed(3);
    console.log(`fusion cost over ${windows} windows of ${clip}`);
    console.log(`main thread, parameter-free temporal fusion: ${f(temporal.cpuMsPerWindow)} ms CPU per stream-window (wall ${f(temporal.wallMsPerWindow)} ms)`);
    console.log(`main thread, first fusion (per-window averages): ${f(first.cpuMsPerWindow)} ms CPU per stream-window`);
    console.log(`onnx temporal model in a worker: wall p50 ${f(onnx.wallMsP50)} / p99 ${f(onnx.wallMsP99)} ms per window, worker busy ${f(onnx.workerBusyMsPerWindow)} ms, process CPU ${f(onnx.processCpuMsPerWindow)} ms per window`);
    for (const [name, p] of Object.entries(paced)) {
      console.log(`paced (${p.windows} windows), ${name}: fusion adds p50 ${f(p.fusionAddsMsP50)} / p99 ${f(p.fusionAddsMsP99)} ms; latency_ms p50 ${p.latencyP50} / p99 ${p.latencyP99}`);
    }
    mkdirSync(RESULTS, { recursive: true });
    const out = join(RESULTS, `fusion-cost-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(out, JSON.stringify(result, null, 2));
    console.log(`results: ${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
