/** Runs the real pipeline over a clip and keeps both its events and each window's branch results. */
import { engineOptionsOf, parseAnalysisSettings } from '../../src/server/analysis-settings.js';
import { runClip } from '../../src/tools/eval/clip-run.js';
import type { WindowAnalysis } from '../../src/fusion/window-fusion.js';
import { loadManifest } from '../../src/models/manifest.js';
import { InferenceEngine, type EngineStats } from '../../src/pipeline/inference-engine.js';
import type { AffectEvent } from '../../src/core/events.js';

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
    const { events, analyses } = await runClip(clip, parsed, loadManifest(parsed.models), engine);
    return { events, analyses, stats: engine.stats() };
  } finally {
    await engine.close();
  }
}
