/**
 * Runs the real pipeline over one media file with an engine the caller owns (so many files share
 * one set of workers), and keeps, besides the events, each window's branch results and the tensors
 * its fusion model is fed. Evaluation and training dumps both need exactly what `analyze` computes.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { pathToFileURL } from 'node:url';
import { decodeOptionsOf, streamOptionsOf, type AnalysisSettings } from '../../server/analysis-settings.js';
import { AffectStreamError } from '../../core/errors.js';
import type { WindowAnalysis } from '../../fusion/window-fusion.js';
import type { LoadedManifest } from '../../models/manifest.js';
import type { FusionTap } from '../../fusion/fusion-stage.js';
import type { InferenceEngine } from '../../pipeline/inference-engine.js';
import { analyzeUri } from '../../server/stream-analysis.js';
import type { AffectEvent } from '../../core/events.js';

export interface ClipRun {
  readonly events: AffectEvent[];
  readonly analyses: WindowAnalysis[];
  /** One per window, in window order. */
  readonly taps: FusionTap[];
}

export async function runClip(path: string, settings: AnalysisSettings, pack: LoadedManifest, engine: InferenceEngine, streamId = 'clip'): Promise<ClipRun> {
  const analyses: WindowAnalysis[] = [];
  const taps: FusionTap[] = [];
  const options = { ...streamOptionsOf(settings, streamId), onAnalysis: (a: WindowAnalysis) => analyses.push(a), onFusionInput: (t: FusionTap) => taps.push(t) };
  const all = await lastValueFrom(analyzeUri(pathToFileURL(path).href, decodeOptionsOf(settings), engine, pack.manifest.models.vad, options).pipe(toArray()));
  const error = all.find((e) => e.type === 'error');
  if (error && error.type === 'error') throw new AffectStreamError(error.code, `${path}: ${error.message}`);
  return { events: all.filter((e): e is AffectEvent => e.type === 'affect'), analyses, taps };
}
