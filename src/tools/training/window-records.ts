/**
 * One training/evaluation record per analysed window: the exact tensors the runtime feeds a fusion
 * model (FusionInput), the window's targets, and what the parameter-free layer and each branch alone
 * (the same fusion with the other branch's input removed) make of it, so a learned model can be
 * compared with them on the same windows.
 */
import { ABAW_CLASSES, type AbawClass } from '../../core/abaw.js';
import { fuseOffline } from '../../fusion/stream-fusion.js';
import type { FusedWindow, FusionOptions, WindowAnalysis } from '../../fusion/window-fusion.js';
import type { ClipRun } from '../eval/clip-run.js';

export interface WindowTarget {
  /** ABAW class, or null when no valid expression label covers the window. */
  readonly label: AbawClass | null;
  /** Null when the window has no valid valence/arousal annotation. */
  readonly valence: number | null;
  readonly arousal: number | null;
  /** How the window was made (assembled sets) or where it comes from. */
  readonly kind: string;
}

interface Prediction {
  /** ABAW class index, -1 when the fusion gives no expression (no evidence). */
  readonly label: number;
  readonly valence: number | null;
  readonly arousal: number | null;
}

export interface WindowRecord {
  readonly source: string;
  readonly window: number;
  readonly start: number;
  readonly end: number;
  readonly kind: string;
  readonly label: number;
  readonly valence: number | null;
  readonly arousal: number | null;
  readonly hasEvidence: boolean;
  readonly steps: number;
  readonly face: number[];
  readonly voice: number[];
  readonly weights: number[];
  readonly current: number[];
  readonly parameterFree: { readonly logits: number[]; readonly valence: number; readonly arousal: number };
  readonly faceOnly: Prediction;
  readonly voiceOnly: Prediction;
}

function prediction(w: FusedWindow): Prediction {
  return { label: w.expression ? ABAW_CLASSES.indexOf(w.expression.label) : -1, valence: w.valence, arousal: w.arousal };
}

/** Records of a run; `targetOf` gives each window's target (by its media start/end). */
export function windowRecords(source: string, run: ClipRun, options: FusionOptions, targetOf: (start: number, end: number) => WindowTarget): WindowRecord[] {
  if (run.taps.length !== run.analyses.length) throw new Error(`${source}: ${run.taps.length} fusion inputs for ${run.analyses.length} windows`);
  const faceOnly = fuseOffline(run.analyses.map((a): WindowAnalysis => ({ ...a, voice: null })), options);
  const voiceOnly = fuseOffline(run.analyses.map((a): WindowAnalysis => ({ ...a, faceFrames: a.faceFrames.map((f) => ({ ...f, faces: [] })) })), options);
  return run.taps.map((tap, i) => {
    const { input } = tap;
    const target = targetOf(tap.analysis.start, tap.analysis.end);
    return {
      source,
      window: i,
      start: tap.analysis.start,
      end: tap.analysis.end,
      kind: target.kind,
      label: target.label === null ? -1 : ABAW_CLASSES.indexOf(target.label),
      valence: target.valence,
      arousal: target.arousal,
      hasEvidence: tap.hasEvidence,
      steps: input.steps,
      face: Array.from(input.face),
      voice: Array.from(input.voice),
      weights: Array.from(input.weights),
      current: Array.from(input.current),
      parameterFree: { logits: Array.from(tap.parameterFree.logits), valence: tap.parameterFree.valence, arousal: tap.parameterFree.arousal },
      faceOnly: prediction(faceOnly[i]!),
      voiceOnly: prediction(voiceOnly[i]!),
    };
  });
}
