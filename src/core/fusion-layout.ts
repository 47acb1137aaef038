/**
 * The fusion feature layout: what a step's face and voice rows hold (filled by
 * fusion/branch-features.ts) and the tensors a fusion model gets and gives. Model packs declare these
 * sizes in their manifest and the inference workers pass the tensors, so the layout sits below both.
 *
 * Face row (FACE_FEATURES): the 8 ABAW probabilities, then the valence and arousal they imply. Voice
 * row (VOICE_FEATURES, + the speech embedding when asked for): speech probability, loudness, pitch
 * variation, whether it is known, energy variation, prosodic arousal (VOICE_AROUSAL), then the voice's
 * 8-class distribution (from VOICE_PROBS).
 */
export const FACE_FEATURES = 10;
export const VOICE_FEATURES = 14;
/** Offsets in the voice row. */
export const VOICE_AROUSAL = 5;
export const VOICE_PROBS = 6;

export interface FusionInput {
  /** T: history steps followed by the window's steps. */
  readonly steps: number;
  readonly faceDims: number;
  readonly voiceDims: number;
  /** T × faceDims, zeros where there is no face. */
  readonly face: Float32Array;
  /** T × voiceDims, zeros where there is no audio. */
  readonly voice: Float32Array;
  /** T × 2: face and voice weight of each step. */
  readonly weights: Float32Array;
  /** T: 1 for the window's own steps, 0 for history. */
  readonly current: Float32Array;
}

export interface FusionOutput {
  /** 8 logits in ABAW class order. */
  readonly logits: Float32Array;
  readonly valence: number;
  readonly arousal: number;
}
