/**
 * Scores a model pack on an Aff-Wild2-format set (affwild2-set.ts): every video goes through the
 * real pipeline, and each event (one per second) is compared with its window's annotation: the
 * majority valid EXPR label of the window's frames, and the mean valid valence/arousal. Windows
 * without a valid label (or VA) are not scored for it. The ABAW tasks need an answer for every frame,
 * so a window whose event gives no expression scores as Neutral, and a missing valence or arousal
 * (no face, no speech) as 0; how often that happened is reported.
 */
import type { AnalysisSettings } from '../../server/analysis-settings.js';
import { ABAW_CLASSES, type AbawClass } from '../../core/abaw.js';
import type { LoadedManifest } from '../../models/manifest.js';
import type { InferenceEngine } from '../../pipeline/inference-engine.js';
import { windowExpression, windowValenceArousal } from './affwild2-annotations.js';
import { loadAffWild2Set } from './affwild2-set.js';
import { runClip } from './clip-run.js';
import { ccc, expressionScores, type ExpressionScores } from './metrics.js';

/** One scored second of one video. */
export interface ScoredWindow {
  readonly start: number;
  readonly end: number;
  readonly label: AbawClass | null;
  readonly predicted: AbawClass | null;
  readonly valence: number | null;
  readonly arousal: number | null;
  readonly predictedValence: number | null;
  readonly predictedArousal: number | null;
}

export interface VideoResult {
  readonly name: string;
  readonly video: string;
  readonly fps: number;
  readonly frames: number;
  readonly windows: ScoredWindow[];
}

export interface ConcordanceScore {
  /** Windows with a valid annotation. */
  readonly count: number;
  /** Null when no window is annotated. */
  readonly ccc: number | null;
}

export interface AffWild2Result {
  readonly root: string;
  readonly videos: VideoResult[];
  readonly unannotated: string[];
  /** Null when no video has EXPR annotations. */
  readonly expression: ExpressionScores | null;
  readonly valence: ConcordanceScore;
  readonly arousal: ConcordanceScore;
  /** Scored windows whose event had no expression / valence / arousal. */
  readonly missing: { readonly expression: number; readonly valence: number; readonly arousal: number };
  readonly seconds: number;
}

export async function evaluateAffWild2(root: string, settings: AnalysisSettings, pack: LoadedManifest, engine: InferenceEngine, onVideo?: (done: number, total: number) => void): Promise<AffWild2Result> {
  const started = performance.now();
  const set = await loadAffWild2Set(root);
  const videos: VideoResult[] = [];
  for (const [i, item] of set.items.entries()) {
    const run = await runClip(item.video, settings, pack, engine, item.name);
    const windows = run.events.map((e): ScoredWindow => {
      const label = item.expr ? windowExpression(item.expr, item.fps, e.start, e.end) : -1;
      const va = item.va ? windowValenceArousal(item.va, item.fps, e.start, e.end) : null;
      return {
        start: e.start,
        end: e.end,
        label: label >= 0 ? ABAW_CLASSES[label]! : null,
        predicted: e.expression?.label ?? null,
        valence: va?.valence ?? null,
        arousal: va?.arousal ?? null,
        predictedValence: e.valence,
        predictedArousal: e.arousal,
      };
    });
    videos.push({ name: item.name, video: item.video, fps: item.fps, frames: item.frames, windows });
    onVideo?.(i + 1, set.items.length);
  }
  const all = videos.flatMap((v) => v.windows);
  const labelled = all.filter((w) => w.label !== null);
  const annotated = all.filter((w) => w.valence !== null);
  const concordance = (truth: number[], predicted: number[]): ConcordanceScore => ({ count: truth.length, ccc: truth.length > 0 ? ccc(truth, predicted) : null });
  return {
    root,
    videos,
    unannotated: set.unannotated,
    expression: set.items.some((i) => i.expr) ? expressionScores(labelled.map((w) => w.label!), labelled.map((w) => w.predicted ?? 'Neutral')) : null,
    valence: concordance(annotated.map((w) => w.valence!), annotated.map((w) => w.predictedValence ?? 0)),
    arousal: concordance(annotated.map((w) => w.arousal!), annotated.map((w) => w.predictedArousal ?? 0)),
    missing: {
      expression: labelled.filter((w) => w.predicted === null).length,
      valence: annotated.filter((w) => w.predictedValence === null).length,
      arousal: annotated.filter((w) => w.predictedArousal === null).length,
    },
    seconds: (performance.now() - started) / 1000,
  };
}
