/**
 * Multi-scale dilated temporal fusion (paper 1), parameter-free: the structure a trained model fills
 * in (see fusion-models in the manifest), with fixed weights that are documented instead of learned.
 *
 * Input: per-step feature sequences and weights (FusionInput, the tensors an ONNX fusion model gets).
 * Each step becomes a weighted row: face weight × face probabilities and face valence/arousal, the
 * face weight itself, voice weight × voice probabilities and voice arousal, the voice weight itself.
 * For each dilation d, a causal kernel of `taps` equal taps sums the rows at t, t−d, t−2d, …; the
 * outputs of all dilations are averaged, and the result is pooled over the window's steps
 * (`current`). Ratios of the pooled sums give the window's expression distribution (weighted mean of
 * the modalities' distributions), valence (face only: the default pack's voice has no valence) and
 * arousal (both modalities). Causal kernels only look back, so a window needs the (taps−1)·max(d)
 * steps before it and nothing after it.
 */
import type { FusionInput, FusionOutput } from '../core/fusion-layout.js';
import { ABAW_CLASSES } from '../core/abaw.js';
import { VOICE_AROUSAL, VOICE_PROBS } from '../core/fusion-layout.js';


const K = ABAW_CLASSES.length;
/** Layout of a weighted row. */
const FACE_PROBS = 0;
const FACE_VALENCE = K;
const FACE_AROUSAL = K + 1;
const FACE_MASS = K + 2;
const VOICE_PROBS_AT = K + 3;
const VOICE_AROUSAL_AT = 2 * K + 3;
const VOICE_MASS = 2 * K + 4;
export const ROW_CHANNELS = 2 * K + 5;

export function receptiveHistory(dilations: readonly number[], taps: number): number {
  return (taps - 1) * Math.max(0, ...dilations);
}

/** The weighted row of every step (T × ROW_CHANNELS). */
export function weightedRows(input: FusionInput): Float64Array {
  const { steps, faceDims, voiceDims, face, voice, weights } = input;
  const rows = new Float64Array(steps * ROW_CHANNELS);
  for (let t = 0; t < steps; t++) {
    const wf = weights[2 * t]!;
    const wv = weights[2 * t + 1]!;
    const r = t * ROW_CHANNELS;
    const f = t * faceDims;
    const v = t * voiceDims;
    for (let c = 0; c < K; c++) {
      rows[r + FACE_PROBS + c] = wf * face[f + c]!;
      rows[r + VOICE_PROBS_AT + c] = wv * voice[v + VOICE_PROBS + c]!;
    }
    rows[r + FACE_VALENCE] = wf * face[f + K]!;
    rows[r + FACE_AROUSAL] = wf * face[f + K + 1]!;
    rows[r + FACE_MASS] = wf;
    rows[r + VOICE_AROUSAL_AT] = wv * voice[v + VOICE_AROUSAL]!;
    rows[r + VOICE_MASS] = wv;
  }
  return rows;
}

/** Σ over steps with mask > 0 of mask × (mean over dilations of the causal dilated sums). */
export function pooledDilated(rows: Float64Array, steps: number, mask: ArrayLike<number>, dilations: readonly number[], taps: number): Float64Array {
  const pooled = new Float64Array(ROW_CHANNELS);
  for (let t = 0; t < steps; t++) {
    const m = mask[t]!;
    if (m === 0) continue;
    const scale = m / dilations.length;
    for (const d of dilations) {
      for (let k = 0; k < taps; k++) {
        const s = t - k * d;
        if (s < 0) break;
        const r = s * ROW_CHANNELS;
        for (let c = 0; c < ROW_CHANNELS; c++) pooled[c]! += scale * rows[r + c]!;
      }
    }
  }
  return pooled;
}

/** The window's output from its pooled sums. */
export function outputOfPooled(pooled: Float64Array): FusionOutput {
  const faceMass = pooled[FACE_MASS]!;
  const mass = faceMass + pooled[VOICE_MASS]!;
  const logits = new Float32Array(K);
  for (let c = 0; c < K; c++) logits[c] = Math.log(Math.max(1e-12, mass > 0 ? (pooled[FACE_PROBS + c]! + pooled[VOICE_PROBS_AT + c]!) / mass : 1 / K));
  return {
    logits,
    valence: faceMass > 0 ? pooled[FACE_VALENCE]! / faceMass : 0,
    arousal: mass > 0 ? (pooled[FACE_AROUSAL]! + pooled[VOICE_AROUSAL_AT]!) / mass : 0,
  };
}

export function parameterFreeFusion(input: FusionInput, dilations: readonly number[], taps: number): FusionOutput {
  return outputOfPooled(pooledDilated(weightedRows(input), input.steps, input.current, dilations, taps));
}

