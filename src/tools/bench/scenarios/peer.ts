/**
 * peer: the same face frames through affectstream's face path and through @vladmandic/human, in one
 * run, each in its own process with one compute thread: frames per second of each and the ratio.
 */
import { basename, join } from 'node:path';
import { makeTalkingClip } from '../clips.js';
import { runChild } from '../child.js';
import type { PeerRunResult } from '../peer-run.js';
import { prepareFrames } from '../peer-frames.js';
import { fixed, table, writeJson } from '../report.js';
import { header, loadNote, withLoad, type BenchContext, type ScenarioOutcome } from '../scenario.js';
import { round } from '../stats.js';

export interface PeerOptions {
  /** Frames timed per library (after the warm-up frames). */
  readonly frames: number;
}

export const WARMUP_FRAMES = 5;
export const TARGET_SPEEDUP = 10;

export async function peerScenario(ctx: BenchContext, options: PeerOptions): Promise<ScenarioOutcome> {
  const count = options.frames + WARMUP_FRAMES;
  const clip = await makeTalkingClip(1, Math.max(20, Math.ceil(count / 10) + 1), ctx.cacheDir);
  const frames = join(ctx.cacheDir, `peer-frames-${basename(clip, '.mp4')}-${count}.rgb`);
  await prepareFrames(clip, count, frames);
  const timeoutMs = 60_000 + count * 1000;
  ctx.progress(`peer: ${options.frames} frames through affectstream's face path`);
  const ours = await withLoad(() => runChild<PeerRunResult>('peer-affectstream', { frames, warmup: WARMUP_FRAMES }, { timeoutMs }));
  ctx.progress(`peer: the same ${options.frames} frames through @vladmandic/human`);
  let human: Awaited<ReturnType<typeof withLoad<PeerRunResult>>> | undefined;
  let humanFailure: string | undefined;
  try {
    human = await withLoad(() => runChild<PeerRunResult>('peer-human', { frames, warmup: WARMUP_FRAMES }, { timeoutMs }));
  } catch (err) {
    humanFailure = err instanceof Error ? err.message : String(err);
  }
  const fps = (r: PeerRunResult) => r.frames / r.wallS;
  const speedup = human ? fps(ours.value) / fps(human.value) : Number.NaN;
  const cpuSpeedup = human ? human.value.cpuS / human.value.frames / (ours.value.cpuS / ours.value.frames) : Number.NaN;
  const name = `peer-${ctx.stamp}`;
  const describe = (r: PeerRunResult, load: unknown) => ({ ...r, framesPerSecond: round(fps(r), 2), msPerFrame: round((r.wallS * 1000) / r.frames, 2), cpuMsPerFrame: round((r.cpuS * 1000) / r.frames, 2), load });
  const json = writeJson(ctx.resultsDir, name, {
    ...header('peer'),
    settings: { frames: options.frames, warmupFrames: WARMUP_FRAMES, frameSize: 'analysis frames of the 1-face 720p30 clip, RGB 640×360', order: 'one frame at a time, each awaited', threadBudget: 'one compute thread each' },
    affectstream: describe(ours.value, ours.load),
    human: human ? describe(human.value, human.load) : { failed: humanFailure },
    speedup: round(speedup, 2),
    cpuSpeedup: round(cpuSpeedup, 2),
    target: { speedup: TARGET_SPEEDUP, met: speedup >= TARGET_SPEEDUP },
  });
  const row = (r: PeerRunResult) => [r.library, r.backend, fixed(fps(r), 1), fixed((r.wallS * 1000) / r.frames, 2), fixed((r.cpuS * 1000) / r.frames, 2), `${r.framesWithFace}/${r.frames}`, Object.entries(r.labels).sort((a, b) => b[1] - a[1]).slice(0, 2).map(([k, v]) => `${k} ${v}`).join(', ')];
  const rows = [row(ours.value), ...(human ? [row(human.value)] : [])];
  const worker = ours.value.workerMsPerFrame;
  const text = [
    `peer: the same ${options.frames} face frames (640×360 RGB), one at a time, one compute thread each`,
    table(['library', 'backend', 'frames/s', 'ms/frame', 'CPU ms/frame', 'with face', 'top expressions'], rows),
    human
      ? `affectstream ÷ human: ×${fixed(speedup, 1)} frames per second, ×${fixed(cpuSpeedup, 1)} per CPU-second; target ×${TARGET_SPEEDUP}: ${speedup >= TARGET_SPEEDUP ? 'met' : 'missed'}; ${loadNote([ours.load, human.load])}`
      : `@vladmandic/human did not run: ${humanFailure}`,
    `affectstream's ${fixed((ours.value.wallS * 1000) / ours.value.frames, 2)} ms per frame: ${fixed(worker, 2)} ms in the inference worker (detector, crops, both expression models), the rest messaging and scheduling`,
  ].join('\n');
  return { table: text, files: [json] };
}
