/**
 * floor: the same paced sources through the whole pipeline and through GStreamer alone (the same
 * decode graph ending in fakesinks), one after the other in the same run: the pipeline's CPU-seconds
 * per stream-second over the decode-only figure.
 */
import { join } from 'node:path';
import { makeTalkingClip } from '../clips.js';
import { runChild } from '../child.js';
import type { FloorRunResult } from '../decode-floor.js';
import type { LiveRunResult } from '../live-run.js';
import type { OtherLoad } from '../machine.js';
import { fixed, table, writeJson } from '../report.js';
import { header, loadNote, withLoad, type BenchContext, type ScenarioOutcome } from '../scenario.js';
import { round } from '../stats.js';

export interface FloorOptions {
  readonly streams: readonly number[];
  readonly seconds: number;
}

export const TARGET_RATIO = 1.3;

interface FloorStep {
  readonly streams: number;
  /** CPU-seconds per stream-second. */
  readonly decodeOnly: number;
  /** The pipeline's ingest alone: decoded media pulled into Node, no analysis. */
  readonly decodeAndPull: number;
  readonly pipeline: number;
  /** Of the pipeline's: the inference workers' threads. */
  readonly inference: number;
  /** Of the pipeline's overhead over decoding: carrying media into Node (decode and pull − decode only). */
  readonly pull: number;
  /** Of the pipeline's overhead: the rest (windowing, scheduling, worker messages, fusion, the sink). */
  readonly other: number;
  readonly ratio: number;
  readonly framesDropped: number;
  readonly load: { pipeline: OtherLoad; decodeOnly: OtherLoad; decodeAndPull: OtherLoad };
}

export async function floorScenario(ctx: BenchContext, options: FloorOptions): Promise<ScenarioOutcome> {
  const clip = await makeTalkingClip(1, options.seconds, ctx.cacheDir);
  const steps: FloorStep[] = [];
  let provider = '';
  for (const n of options.streams) {
    const uvThreads = Math.min(1024, 3 * n + 16);
    const timeoutMs = (options.seconds + 120) * 1000;
    ctx.progress(`floor: ${n} paced source(s), ${options.seconds} s, decode only`);
    const floor = await withLoad(() => runChild<FloorRunResult>('floor', { clip, streams: n, realtime: true }, { timeoutMs, uvThreads }));
    ctx.progress(`floor: ${n} paced source(s), ${options.seconds} s, decoded and pulled into Node`);
    const pulled = await withLoad(() => runChild<FloorRunResult>('pull', { clip, streams: n, realtime: true }, { timeoutMs, uvThreads }));
    ctx.progress(`floor: ${n} paced source(s), ${options.seconds} s, whole pipeline`);
    const live = await withLoad(() => runChild<LiveRunResult>('live', { clip, streams: n, sink: join(ctx.cacheDir, 'floor-events.ndjson') }, { timeoutMs, uvThreads }));
    provider = live.value.provider;
    const decodeOnly = floor.value.cpuS / floor.value.mediaSeconds;
    const pipeline = live.value.cpuS / live.value.mediaSeconds;
    const inference = live.value.inferenceCpuS / live.value.mediaSeconds;
    const decodeAndPull = pulled.value.cpuS / pulled.value.mediaSeconds;
    steps.push({
      streams: n,
      decodeOnly: round(decodeOnly, 4),
      decodeAndPull: round(decodeAndPull, 4),
      pipeline: round(pipeline, 4),
      inference: round(inference, 4),
      pull: round(decodeAndPull - decodeOnly, 4),
      other: round(pipeline - decodeAndPull - inference, 4),
      ratio: round(pipeline / decodeOnly, 3),
      framesDropped: live.value.framesDropped,
      load: { pipeline: live.load, decodeOnly: floor.load, decodeAndPull: pulled.load },
    });
  }
  const name = `floor-${ctx.stamp}`;
  const json = writeJson(ctx.resultsDir, name, {
    ...header('floor'),
    settings: { seconds: options.seconds, streams: options.streams, realtime: true, provider, decodeOnlyGraph: 'playbin → videorate/videoscale/videoconvert to RGB 640 px at 10 fps, audioconvert/audioresample to 16 kHz mono F32 → fakesink sync=true' },
    targetRatio: TARGET_RATIO,
    steps,
  });
  const rows = steps.map((s) => [String(s.streams), fixed(s.decodeOnly, 4), fixed(s.decodeAndPull, 4), fixed(s.pipeline, 4), fixed(s.inference, 4), fixed(s.pull, 4), fixed(s.other, 4), fixed(s.ratio, 2), String(s.framesDropped)]);
  const worst = steps.reduce((a, b) => (b.ratio > a.ratio ? b : a), steps[0]!);
  const parts = [['inference', worst.inference], ['pulling media into Node', worst.pull], ['windowing, scheduling, fusion and the sink', worst.other]] as const;
  const largest = parts.reduce((a, b) => (b[1] > a[1] ? b : a));
  const verdict = worst.ratio <= TARGET_RATIO
    ? `target ratio ≤ ${TARGET_RATIO}: met`
    : `target ratio ≤ ${TARGET_RATIO}: missed (N=${worst.streams}: ${fixed(worst.pipeline - worst.decodeOnly, 3)} CPU-s per stream-s over decoding's ${fixed(worst.decodeOnly, 3)}, most of it ${largest[0]}: ${fixed(largest[1], 3)})`;
  const text = [
    `floor: CPU-seconds per stream-second, paced sources, ${options.seconds} s (whole process, all threads); overhead = inference + pull + other`,
    table(['N', 'decode only', 'decode+pull', 'pipeline', 'inference', 'pull', 'other', 'ratio', 'dropped'], rows),
    `${verdict}; ${loadNote(steps.flatMap((s) => [s.load.pipeline, s.load.decodeOnly, s.load.decodeAndPull]))}`,
  ].join('\n');
  return { table: text, files: [json] };
}
