/** Runs the real pipeline over a clip and keeps both its events and each window's branch results. */
import { lastValueFrom, toArray } from 'rxjs';
import { pathToFileURL } from 'node:url';
import { decodeOptionsOf, engineOptionsOf, parseAnalysisSettings, streamOptionsOf } from '../../src/commands/analysis-settings.js';
import type { WindowAnalysis } from '../../src/fusion/window-fusion.js';
import { loadManifest } from '../../src/models/manifest.js';
import { InferenceEngine, type EngineStats } from '../../src/pipeline/inference-engine.js';
import { analyzeUri } from '../../src/pipeline/stream-analysis.js';
import type { AffectEvent } from '../../src/sink/events.js';

export interface FusionRun {
  readonly events: AffectEvent[];
  readonly analyses: WindowAnalysis[];
  /** The engine's figures at the end of the run (batches per scheduler). */
  readonly stats: EngineStats;
}

export async function runPipeline(clip: string, settings: Record<string, unknown> = {}): Promise<FusionRun> {
  const parsed = parseAnalysisSettings({ workers: 1, ...settings });
  const engine = await InferenceEngine.create(engineOptionsOf(parsed));
  try {
    const analyses: WindowAnalysis[] = [];
    const options = { ...streamOptionsOf(parsed, 'clip'), onAnalysis: (a: WindowAnalysis) => analyses.push(a) };
    const events = await lastValueFrom(analyzeUri(pathToFileURL(clip).href, decodeOptionsOf(parsed), engine, loadManifest(parsed.models).manifest.models.vad, options).pipe(toArray()));
    const errors = events.filter((e) => e.type === 'error');
    if (errors.length > 0) throw new Error(`the pipeline failed: ${JSON.stringify(errors)}`);
    return { events: events.filter((e): e is AffectEvent => e.type === 'affect'), analyses, stats: engine.stats() };
  } finally {
    await engine.close();
  }
}
