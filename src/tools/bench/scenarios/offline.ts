/**
 * offline: a 720p clip through `analyze` (as fast as the machine allows), next to GStreamer decoding
 * it alone with the same graph, interleaved run by run: media seconds per wall second.
 */
import { join } from 'node:path';
import { makeTalkingClip } from '../clips.js';
import { runChild } from '../child.js';
import type { FloorRunResult } from '../decode-floor.js';
import type { OfflineRunResult } from '../offline-run.js';
import { providerName, type OtherLoad } from '../machine.js';
import { fixed, table, writeJson } from '../report.js';
import { header, loadNote, withLoad, type BenchContext, type ScenarioOutcome } from '../scenario.js';
import { median, round } from '../stats.js';

export interface OfflineOptions {
  readonly seconds: number;
  readonly runs: number;
  /** Faces in view: 1 (webcam-like) or 3 (a group: three faces' expression models per frame). */
  readonly faces: 1 | 3;
}

export const TARGET_SPEED = 10;

export async function offlineScenario(ctx: BenchContext, options: OfflineOptions): Promise<ScenarioOutcome> {
  const clip = await makeTalkingClip(options.faces, options.seconds, ctx.cacheDir);
  const analyze: OfflineRunResult[] = [];
  const decode: FloorRunResult[] = [];
  const pulled: FloorRunResult[] = [];
  const loads: OtherLoad[] = [];
  const timeoutMs = (options.seconds * 2 + 120) * 1000;
  // Interleaved, so a change in the machine's load touches both alike.
  for (let i = 0; i < options.runs; i++) {
    ctx.progress(`offline: run ${i + 1} of ${options.runs}`);
    const d = await withLoad(() => runChild<FloorRunResult>('floor', { clip, streams: 1, realtime: false }, { timeoutMs }));
    const p = await withLoad(() => runChild<FloorRunResult>('pull', { clip, streams: 1, realtime: false }, { timeoutMs }));
    const a = await withLoad(() => runChild<OfflineRunResult>('offline', { clip, out: join(ctx.cacheDir, 'offline-events.ndjson') }, { timeoutMs }));
    decode.push(d.value);
    pulled.push(p.value);
    analyze.push(a.value);
    loads.push(d.load, p.load, a.load);
  }
  const summary = (runs: ReadonlyArray<{ wallS: number; cpuS: number; peakRssMb: number }>, media: number) => ({
    speed: round(media / median(runs.map((r) => r.wallS)), 2),
    wallS: round(median(runs.map((r) => r.wallS)), 3),
    cpuSPerMediaS: round(median(runs.map((r) => r.cpuS)) / media, 4),
    peakRssMb: round(Math.max(...runs.map((r) => r.peakRssMb)), 1),
  });
  const a = summary(analyze, analyze[0]!.mediaSeconds);
  const d = summary(decode, decode[0]!.mediaSeconds);
  const p = summary(pulled, pulled[0]!.mediaSeconds);
  const met = a.speed >= TARGET_SPEED;
  const name = `offline-${options.faces}face-${ctx.stamp}`;
  const json = writeJson(ctx.resultsDir, name, {
    ...header('offline'),
    settings: { clip: `${options.seconds} s 1280×720 30 fps H.264 ≈ 2 Mb/s + AAC, speech`, faces: options.faces, runs: options.runs, analyze: 'defaults (10 fps, 640 px, planned workers)', provider: providerName('cpu') },
    analyze: { ...a, windows: analyze[0]!.windows },
    decodeOnly: d,
    decodeAndPull: p,
    cpuRatio: round(a.cpuSPerMediaS / d.cpuSPerMediaS, 3),
    target: { speed: TARGET_SPEED, met },
    load: loads,
    raw: { analyze, decode, pulled },
  });
  const text = [
    `offline: ${options.seconds} s 720p30 clip, ${options.faces} face(s) in view, medians of ${options.runs} runs`,
    table(['run', 'media s / wall s', 'wall s', 'CPU s per media s', 'peak RSS MB'], [
      ['analyze', fixed(a.speed, 1), fixed(a.wallS, 2), fixed(a.cpuSPerMediaS, 3), fixed(a.peakRssMb, 0)],
      ['decode only (fakesink)', fixed(d.speed, 1), fixed(d.wallS, 2), fixed(d.cpuSPerMediaS, 3), fixed(d.peakRssMb, 0)],
      ['decode, pulled into Node', fixed(p.speed, 1), fixed(p.wallS, 2), fixed(p.cpuSPerMediaS, 3), fixed(p.peakRssMb, 0)],
    ]),
    `target ≥ ${TARGET_SPEED}× real time: ${met ? 'met' : `missed (decoding alone runs at ${fixed(d.speed, 1)}×; analyze takes ${fixed(a.cpuSPerMediaS / d.cpuSPerMediaS, 1)}× decoding's CPU, ${fixed(a.cpuSPerMediaS - p.cpuSPerMediaS, 3)} CPU-s per media s over the ingest's)`}; ${loadNote(loads)}`,
  ].join('\n');
  return { table: text, files: [json] };
}
