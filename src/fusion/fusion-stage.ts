/**
 * A stream's fusion stage, between its windows' inference results and its events. Windows go through
 * in order (the stream's fusion state flows from one to the next). Without learned fusion models the
 * parameter-free temporal fusion runs here, on the main thread; with them, each window's sequences go
 * to the engine's fusion scheduler (batched with other streams' windows) and run in a worker.
 */
import type { FusionOptions, FusedWindow, WindowAnalysis } from './window-fusion.js';
import { StreamFusion } from './stream-fusion.js';
import type { InferenceEngine } from '../pipeline/inference-engine.js';
import type { FusionInput, FusionOutput } from '../core/fusion-layout.js';

export type WindowFuser = (analysis: WindowAnalysis) => Promise<FusedWindow>;

/** What a fusion model is (or would be) fed for one window, with the parameter-free layer's output on it. */
export interface FusionTap {
  readonly analysis: WindowAnalysis;
  readonly input: FusionInput;
  readonly parameterFree: FusionOutput;
  /** False when the window has neither face nor speech: no model runs, the event carries nulls. */
  readonly hasEvidence: boolean;
}

export function createWindowFuser(engine: Pick<InferenceEngine, 'fusionModels' | 'runFusion'>, options: FusionOptions, onFusionInput?: (tap: FusionTap) => void): WindowFuser {
  const models = engine.fusionModels;
  const fusion = new StreamFusion(options, models);
  return async (analysis) => {
    const prepared = fusion.prepare(analysis);
    const free = fusion.parameterFree(prepared);
    const hasEvidence = StreamFusion.hasEvidence(prepared);
    // Training dumps read the exact tensors here; the event is not affected.
    onFusionInput?.({ analysis, input: prepared.input, parameterFree: free, hasEvidence });
    // A window with neither face nor speech has nothing to fuse; its event carries nulls.
    if (!models || !hasEvidence) return fusion.finish(prepared, free);
    const learned = await engine.runFusion(prepared.input);
    const output: FusionOutput = {
      logits: learned.logits ?? free.logits,
      valence: learned.valence ?? free.valence,
      arousal: learned.arousal ?? free.arousal,
    };
    return fusion.finish(prepared, output);
  };
}
