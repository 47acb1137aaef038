/**
 * Dumps fusion training/evaluation data from the real pipeline: every window's FusionInput (the
 * exact tensors the runtime feeds a fusion model), its targets and the baselines' outputs, one JSON
 * line per window (see window-records.ts).
 *
 *   node dist/src/tools/training/dump-fusion-inputs.js --out train.jsonl --fer ../shared/data/fer2013/train \
 *       --ravdess ../shared/data/ravdess-speech-16k --actors 1-16 --clips 60 --seed 1
 *   node dist/src/tools/training/dump-fusion-inputs.js --out affwild2.jsonl --affwild2 DIR
 *
 * Assembled sets: FER2013 and RAVDESS carry no valence/arousal, so the VA target of a window is its
 * class's circumplex point (src/core/abaw.ts). Aff-Wild2 sets: the label of a window is the
 * majority valid EXPR label of its frames, VA the mean valid annotation (affwild2-annotations.ts).
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { engineOptionsOf, fusionOptionsOf, parseAnalysisSettings, type AnalysisSettings } from '../../server/analysis-settings.js';
import { makeFaceClip } from '../demo/make-demo-clip.js';
import { runClip } from '../eval/clip-run.js';
import { ABAW_CLASSES, CLASS_VALENCE_AROUSAL } from '../../core/abaw.js';
import { windowExpression, windowValenceArousal } from '../eval/affwild2-annotations.js';
import { loadAffWild2Set } from '../eval/affwild2-set.js';
import { loadManifest, type LoadedManifest } from '../../models/manifest.js';
import { InferenceEngine } from '../../pipeline/inference-engine.js';
import { AssemblyPool, seededRandom, type AssembledSegment } from './assembled-set.js';
import { windowRecords, type WindowRecord } from './window-records.js';

const TRAINED_PACK = fileURLToPath(new URL('../../../../models/trained/manifest.json', import.meta.url));
const NO_FACE_PHOTO = fileURLToPath(new URL('../../../../models/vendor/@vladmandic/face-api@1.7.15/demo/sample2.jpg', import.meta.url));

function parseActors(spec: string): number[] {
  const actors = spec.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
  });
  if (actors.length === 0 || actors.some((a) => !Number.isInteger(a) || a < 1)) throw new Error(`--actors: a list like 1-16 or 17,18, got ${spec}`);
  return actors;
}

type Sink = (records: WindowRecord[]) => void;

/** `--fer-part 0/2`: the first of two disjoint halves of each class's photos. */
function parseFerPart(spec: string): { index: number; of: number } {
  const match = /^(\d+)\/(\d+)$/.exec(spec);
  const index = Number(match?.[1]);
  const of = Number(match?.[2]);
  if (!match || of < 1 || index >= of) throw new Error(`--fer-part: K/N with 0 ≤ K < N, like 0/2, got ${spec}`);
  return { index, of };
}

async function dumpAssembled(values: Record<string, string | undefined>, settings: AnalysisSettings, pack: LoadedManifest, engine: InferenceEngine, sink: Sink): Promise<void> {
  if (!values.fer || !values.ravdess) throw new Error('an assembled set needs --fer DIR and --ravdess DIR (or --affwild2 DIR)');
  const pool = new AssemblyPool({ ferDir: values.fer, ravdessDir: values.ravdess, actors: parseActors(values.actors ?? '1-16'), ...(values['fer-part'] ? { ferPart: parseFerPart(values['fer-part']) } : {}), noFace: { image: NO_FACE_PHOTO, crop: { x: 0, y: 900, w: 600, h: 400 } } });
  const random = seededRandom(Number(values.seed ?? 1));
  const clips = Number(values.clips ?? 20);
  const perClip = Number(values.segments ?? 8);
  const seconds = Number(values.seconds ?? 3);
  const work = mkdtempSync(join(tmpdir(), 'affectstream-fusion-dump-'));
  const options = fusionOptionsOf(settings);
  try {
    const build = async (i: number) => {
      const segments = pool.segments(random, perClip, seconds);
      const path = join(work, `clip-${i}.mp4`);
      const made = await makeFaceClip({ output: path, segments, width: 640, height: 360, fps: 10, channels: 1, sampleRate: 16000 });
      return { path, segments, starts: made.segmentStarts };
    };
    // The next clip is encoded while the pipeline analyses the current one.
    let next = build(0);
    for (let i = 0; i < clips; i++) {
      const clip = await next;
      if (i + 1 < clips) next = build(i + 1);
      const run = await runClip(clip.path, settings, pack, engine, `clip-${i}`);
      const segmentAt = (t: number): AssembledSegment => clip.segments[Math.max(0, clip.starts.filter((s) => s <= t + 1e-6).length - 1)]!;
      sink(
        windowRecords(`assembled-${values.seed ?? 1}-${i}`, run, options, (start, end) => {
          const seg = segmentAt((start + end) / 2);
          const [valence, arousal] = CLASS_VALENCE_AROUSAL[seg.label];
          return { label: seg.label, valence, arousal, kind: seg.kind };
        }),
      );
      rmSync(clip.path, { force: true });
      process.stderr.write(`clip ${i + 1}/${clips}: ${run.taps.length} windows\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function dumpAffWild2(root: string, settings: AnalysisSettings, pack: LoadedManifest, engine: InferenceEngine, sink: Sink): Promise<void> {
  const set = await loadAffWild2Set(root);
  const options = fusionOptionsOf(settings);
  for (const [i, item] of set.items.entries()) {
    const run = await runClip(item.video, settings, pack, engine, item.name);
    sink(
      windowRecords(item.name, run, options, (start, end) => {
        const label = item.expr ? windowExpression(item.expr, item.fps, start, end) : -1;
        const va = item.va ? windowValenceArousal(item.va, item.fps, start, end) : null;
        return { label: label >= 0 ? ABAW_CLASSES[label]! : null, valence: va?.valence ?? null, arousal: va?.arousal ?? null, kind: 'affwild2' };
      }),
    );
    process.stderr.write(`video ${i + 1}/${set.items.length} ${item.name}: ${run.taps.length} windows\n`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      models: { type: 'string' },
      affwild2: { type: 'string' },
      fer: { type: 'string' },
      ravdess: { type: 'string' },
      actors: { type: 'string' },
      'fer-part': { type: 'string' },
      clips: { type: 'string' },
      segments: { type: 'string' },
      seconds: { type: 'string' },
      seed: { type: 'string' },
      workers: { type: 'string' },
    },
  });
  if (!values.out) throw new Error('--out FILE.jsonl is required');
  const settings = parseAnalysisSettings({ models: values.models ?? TRAINED_PACK, ...(values.workers ? { workers: values.workers } : {}) });
  const pack = loadManifest(settings.models);
  const engine = await InferenceEngine.create(engineOptionsOf(settings));
  const out = createWriteStream(values.out);
  let windows = 0;
  const sink: Sink = (records) => {
    for (const r of records) out.write(`${JSON.stringify(r)}\n`);
    windows += records.length;
  };
  const started = performance.now();
  try {
    if (values.affwild2) await dumpAffWild2(values.affwild2, settings, pack, engine, sink);
    else await dumpAssembled(values, settings, pack, engine, sink);
  } finally {
    await engine.close();
    await new Promise<void>((resolve) => out.end(resolve));
  }
  process.stderr.write(`${windows} windows written to ${values.out} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`dump-fusion-inputs: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
