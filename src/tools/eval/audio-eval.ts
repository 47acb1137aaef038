/**
 * Scores a model pack's voice branch on a folder of RAVDESS-named audio files: each file goes through
 * the runtime's own path (GStreamer decode, 1 s windows, VAD, log-mel, embeddings and the pack's
 * speech expression model in the inference workers, fusion), several files at once as parallel
 * streams, so their windows share batches as live streams do. A file's prediction is the speech
 * expression model's distribution at its last window with speech (whose context holds the most of
 * the utterance); a pack without that model is scored on the voice's expression in the events.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { from, lastValueFrom, mergeMap, toArray, map, filter } from 'rxjs';
import { AffectStreamError } from '../../core/errors.js';
import { ABAW_CLASSES, topClass, type AbawClass, type ExpressionProbs } from '../../core/abaw.js';
import type { DecodeOptions } from '../../ingest/gst-source.js';
import type { LoadedManifest } from '../../models/manifest.js';
import type { SpeechExpression } from '../../models/speech-expression.js';
import type { InferenceEngine } from '../../pipeline/inference-engine.js';
import { analyzeUri, type StreamAnalysisOptions } from '../../server/stream-analysis.js';
import { expressionScores, type ExpressionScores } from './metrics.js';
import { parseRavdessName, type RavdessLabel } from './ravdess-names.js';

const AUDIO = /\.(wav|flac|ogg|opus|mp3|m4a|aac|webm)$/i;
/** Files analysed at once: enough to fill the voice batches on a small machine. */
const CONCURRENCY = 4;

export interface LabelledAudio {
  readonly path: string;
  readonly label: RavdessLabel;
}

/** Audio files under `root` (recursively), sorted; every name must parse. `actors` keeps only those speakers. */
export function listRavdessAudio(root: string, actors?: ReadonlySet<number>): LabelledAudio[] {
  const walk = (dir: string): string[] => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      throw new AffectStreamError('source_not_found', `audio folder not found: ${dir}`);
    }
    return names.flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return AUDIO.test(name) ? [path] : [];
    });
  };
  const files = walk(root);
  if (files.length === 0) throw new AffectStreamError('invalid_argument', `no audio files under ${root} (expected RAVDESS-named .wav/.flac files such as Actor_01/03-01-05-02-01-01-01.flac)`);
  const labelled = files.map((path) => ({ path, label: parseRavdessName(path) }));
  const kept = actors ? labelled.filter((f) => actors.has(f.label.actor)) : labelled;
  if (kept.length === 0) throw new AffectStreamError('invalid_argument', `none of the ${files.length} audio files under ${root} is by actors ${[...(actors ?? [])].join(', ')}`);
  return kept;
}

export type PredictionSource = 'speech-model' | 'events' | 'none';

export interface AudioEvalResult {
  readonly task: 'audio';
  readonly root: string;
  readonly actors: number[] | null;
  /** Over ABAW classes (calm scored as Neutral); a file without a prediction counts as Other. */
  readonly scores: ExpressionScores;
  /** Accuracy over RAVDESS's 8 emotions, from the speech model's own labels (null without the model). */
  readonly ravdessAccuracy: number | null;
  /** How many files each prediction came from. */
  readonly sources: Record<PredictionSource, number>;
  readonly files: Array<{ file: string; emotion: string; predicted: AbawClass; predictedEmotion: string | null; source: PredictionSource }>;
  readonly seconds: number;
}

export interface AudioEvalOptions {
  readonly actors?: ReadonlySet<number>;
  readonly onProgress?: (done: number, total: number) => void;
}

interface FilePrediction {
  readonly predicted: AbawClass;
  readonly predictedEmotion: string | null;
  readonly source: PredictionSource;
}

async function predictFile(path: string, engine: InferenceEngine, pack: LoadedManifest, decode: DecodeOptions, stream: StreamAnalysisOptions): Promise<FilePrediction> {
  let lastModel: SpeechExpression | undefined;
  let lastEvent: ExpressionProbs | undefined;
  const events = analyzeUri(pathToFileURL(path).href, decode, engine, pack.manifest.models.vad, {
    ...stream,
    onAnalysis: (analysis) => {
      if (analysis.voice?.expression) lastModel = analysis.voice.expression;
    },
  });
  const errors = await lastValueFrom(
    events.pipe(
      filter((e) => e.type === 'affect' || e.type === 'error'),
      map((e) => {
        if (e.type === 'affect' && e.expression) lastEvent = e.expression.probs;
        return e.type === 'error' ? e.message : null;
      }),
      filter((m): m is string => m !== null),
      toArray(),
    ),
  );
  if (errors.length > 0) throw new AffectStreamError('decode_failed', `${path}: ${errors[0]}`);
  const labels = pack.manifest.models.speechExpression?.labels;
  if (lastModel) {
    const abaw: ExpressionProbs = Object.fromEntries(ABAW_CLASSES.map((c, i) => [c, lastModel!.abaw[i]!])) as ExpressionProbs;
    let best = 0;
    lastModel.labels.forEach((p, i) => (best = p > lastModel!.labels[best]! ? i : best));
    return { predicted: topClass(abaw), predictedEmotion: labels?.[best] ?? null, source: 'speech-model' };
  }
  if (lastEvent) return { predicted: topClass(lastEvent), predictedEmotion: null, source: 'events' };
  return { predicted: 'Other', predictedEmotion: null, source: 'none' };
}

export async function evaluateAudio(root: string, pack: LoadedManifest, engine: InferenceEngine, decode: DecodeOptions, stream: StreamAnalysisOptions, options: AudioEvalOptions = {}): Promise<AudioEvalResult> {
  const started = performance.now();
  const files = listRavdessAudio(root, options.actors);
  let done = 0;
  const rows = await lastValueFrom(
    from(files.map((file, index) => ({ file, index }))).pipe(
      mergeMap(async ({ file, index }) => {
        const prediction = await predictFile(file.path, engine, pack, decode, { ...stream, streamId: `eval-${index}` });
        options.onProgress?.(++done, files.length);
        return { index, file, prediction };
      }, CONCURRENCY),
      toArray(),
      map((r) => r.sort((a, b) => a.index - b.index)),
    ),
  );
  const sources: Record<PredictionSource, number> = { 'speech-model': 0, events: 0, none: 0 };
  for (const r of rows) sources[r.prediction.source] += 1;
  const withEmotion = rows.filter((r) => r.prediction.predictedEmotion !== null);
  const ravdessAccuracy = pack.manifest.models.speechExpression ? withEmotion.filter((r) => r.prediction.predictedEmotion === r.file.label.emotion).length / rows.length : null;
  return {
    task: 'audio',
    root,
    actors: options.actors ? [...options.actors].sort((a, b) => a - b) : null,
    scores: expressionScores(
      rows.map((r) => r.file.label.abaw),
      rows.map((r) => r.prediction.predicted),
    ),
    ravdessAccuracy,
    sources,
    files: rows.map((r) => ({ file: relative(root, r.file.path), emotion: r.file.label.emotion, predicted: r.prediction.predicted, predictedEmotion: r.prediction.predictedEmotion, source: r.prediction.source })),
    seconds: (performance.now() - started) / 1000,
  };
}
