/**
 * One measured live run (in a child process): N copies of a clip paced in real time, started at
 * spread-out phases of the second as independent callers would be, through one inference engine and
 * the whole stream path (ingest, windowing, inference, fusion), each event written to an NDJSON sink
 * as `analyze --out` writes it. Every window's stage timestamps come from the pipeline (onTiming).
 */
import { pathToFileURL } from 'node:url';
import { lastValueFrom, mergeMap, range, tap, timer } from 'rxjs';
import { decodeOptionsOf, engineOptionsOf, parseAnalysisSettings, streamOptionsOf } from '../../server/analysis-settings.js';
import { loadManifest } from '../../models/manifest.js';
import { InferenceEngine } from '../../pipeline/inference-engine.js';
import { InferencePool } from '../../pipeline/worker-pool.js';
import { analyzeUri } from '../../server/stream-analysis.js';
import type { WindowTiming } from '../../pipeline/window-timing.js';
import { NdjsonWriter } from '../../sink/ndjson-writer.js';
import type { StreamEvent } from '../../core/events.js';
import { providerName } from './machine.js';

export interface LiveRunParams {
  readonly clip: string;
  readonly streams: number;
  /** Where the events go (the sink whose write ends the `send` stage). */
  readonly sink: string;
  readonly workers?: number;
  readonly threads?: number;
}

/** One window, its stages in ms. */
export interface WindowStages {
  readonly stream: string;
  readonly seq: number;
  /** How late the window's last media left the decoder, next to the stream's least-late window. */
  readonly decode: number;
  /** From that media's arrival until the window's last waiting inference request went to a worker. */
  readonly queue: number;
  /** From there until all its face and voice results were in. */
  readonly inference: number;
  /** From the last media's arrival until the window's face results were in (its last frame's work). */
  readonly faceBranch: number;
  /** From the last media's arrival until its voice result was in. */
  readonly voiceBranch: number;
  readonly fusion: number;
  /** From fused to the event written to the sink. */
  readonly send: number;
  /** The event's own `latency_ms`. */
  readonly latency: number;
  /** Arrival of the last media to the event written: queue + inference + fusion + send. */
  readonly total: number;
  readonly frames: number;
  readonly dropped: number;
}

export interface LiveRunResult {
  readonly streams: number;
  readonly wallS: number;
  readonly mediaSeconds: number;
  readonly cpuS: number;
  readonly inferenceCpuS: number;
  readonly peakRssMb: number;
  readonly framesAnalysed: number;
  readonly framesDropped: number;
  readonly errors: number;
  readonly workers: number;
  readonly threads: number;
  readonly provider: string;
  readonly windows: WindowStages[];
}

const ms = (v: number) => Math.round(v * 1000) / 1000;

export async function liveRun(params: LiveRunParams): Promise<LiveRunResult> {
  const settings = parseAnalysisSettings({ realtime: true, ...(params.workers ? { workers: params.workers } : {}), ...(params.threads ? { threads: params.threads } : {}) });
  const engine = await InferenceEngine.create(engineOptionsOf(settings));
  const vad = loadManifest(settings.models).manifest.models.vad;
  const writer = NdjsonWriter.toFile(params.sink);
  const timings = new Map<string, WindowTiming & { sentAtMs?: number }>();
  const uri = pathToFileURL(params.clip).href;
  let framesAnalysed = 0;
  let framesDropped = 0;
  let errors = 0;
  let mediaSeconds = 0;
  const cpu0 = process.cpuUsage();
  const inference0 = await engine.pool.cpuTimeMs();
  const started = performance.now();
  const write = (event: StreamEvent) => {
    void writer.write(event);
    if (event.type === 'affect') {
      const timing = timings.get(`${event.stream}/${event.seq}`);
      if (timing) timing.sentAtMs = performance.now();
      framesAnalysed += event.frames;
      framesDropped += event.dropped_frames;
      mediaSeconds += event.end - event.start;
    } else if (event.type === 'error') {
      errors += 1;
    }
  };
  await lastValueFrom(
    range(0, params.streams).pipe(
      mergeMap((i) =>
        timer((i * 1000) / params.streams).pipe(
          mergeMap(() => analyzeUri(uri, decodeOptionsOf(settings), engine, vad, { ...streamOptionsOf(settings, `s${i + 1}`), onTiming: (t) => timings.set(`${t.stream}/${t.seq}`, t) })),
        ),
      ),
      tap(write),
    ),
    { defaultValue: undefined },
  );
  const wallS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const inferenceCpuS = ((await engine.pool.cpuTimeMs()) - inference0) / 1000;
  const workers = engine.stats().pool.workers;
  const provider = providerName(engine.pool.device);
  await engine.close();
  await writer.close();
  return {
    streams: params.streams,
    wallS,
    mediaSeconds,
    cpuS: (cpu.user + cpu.system) / 1e6,
    inferenceCpuS,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    framesAnalysed,
    framesDropped,
    errors,
    workers,
    threads: settings.threads ?? InferencePool.defaultPlan(engine.pool.device).intraOpThreads,
    provider,
    windows: stagesOf([...timings.values()]),
  };
}

/**
 * Splits each window's way into stages. A paced source releases media on the clock, so a window's last
 * media is due a fixed time after the stream's start plus the window's end: the stream's least-late
 * window gives that offset, and every other window's decode figure is how much later its media came.
 */
export function stagesOf(timings: ReadonlyArray<WindowTiming & { sentAtMs?: number }>, startupWindows = 2): WindowStages[] {
  // Start-up windows do not set the schedule: media prerolled before the clock ran arrives early.
  const steady = timings.filter((t) => t.seq >= startupWindows);
  const offsets = new Map<string, number>();
  for (const t of steady.length > 0 ? steady : timings) offsets.set(t.stream, Math.min(offsets.get(t.stream) ?? Infinity, t.completedAtMs - t.end * 1000));
  return timings.map((t) => {
    const sent = t.sentAtMs ?? t.emittedAtMs;
    return {
      stream: t.stream,
      seq: t.seq,
      decode: ms(t.completedAtMs - t.end * 1000 - (offsets.get(t.stream) ?? t.completedAtMs - t.end * 1000)),
      queue: ms(t.dispatchedAtMs - t.completedAtMs),
      inference: ms(t.inferredAtMs - t.dispatchedAtMs),
      faceBranch: ms(t.facesAtMs - t.completedAtMs),
      voiceBranch: ms(t.voiceAtMs - t.completedAtMs),
      fusion: ms(t.fusedAtMs - t.inferredAtMs),
      send: ms(sent - t.fusedAtMs),
      latency: ms(t.emittedAtMs - t.completedAtMs),
      total: ms(sent - t.completedAtMs),
      frames: t.frames,
      dropped: t.droppedFrames,
    };
  });
}
