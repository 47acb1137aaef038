/**
 * Per-step branch features and reliabilities (input quality × informativeness of the branch's
 * expression distribution), the inputs of key-frame alignment and of the temporal
 * fusion. Stateful per stream and strictly causal (a step sees only itself and earlier steps), so a
 * stream fused window by window gets exactly what the whole file fused at once gets.
 *
 * Face row (FACE_FEATURES): the 8 ABAW probabilities (Other from flatness, see abaw.ts), then the
 * valence and arousal they imply. Voice row (VOICE_FEATURES, + the speech embedding when asked for):
 * speech probability, loudness L, pitch variation P (0 when unknown), whether P is known, energy
 * variation E, prosodic arousal, then the voice's 8-class distribution: the pack's speech expression
 * model's when it ran on the step's window, else the one that arousal implies (voice-expression.ts).
 */
import { FACE_FEATURES, VOICE_AROUSAL, VOICE_FEATURES, VOICE_PROBS } from '../core/fusion-layout.js';
import { ABAW_CLASSES, valenceArousalOf, withOtherClass } from '../core/abaw.js';
import type { FaceResult } from '../models/face-analyzer.js';
import type { VoiceFrame } from '../models/voice-analyzer.js';
import type { TimelineStep } from './frame-timeline.js';
import { expressionFromArousal } from './voice-expression.js';
import { LEVEL_SCALE_DB, RANGE_SCALE_ST, REFERENCE_LEVEL_DB, REFERENCE_RANGE_ST } from './voice-arousal.js';

/** Energy variation E = tanh(std of speech frame levels over the context, dB / ENERGY_SCALE_DB). */
export const ENERGY_SCALE_DB = 6;

/** A dropped frame keeps the previous face this long, so drops do not read as "no face". */
export const FACE_HOLD_SECONDS = 0.5;
/** Pitch and energy variation are measured over the frames of this much recent speech. */
export const PITCH_CONTEXT_SECONDS = 1;
/** Speech this far above the noise floor counts fully; at SNR_MIN_DB or less it counts nothing. */
export const SNR_MIN_DB = 3;
export const SNR_FULL_DB = 15;
/**
 * The noise floor follows the level of non-speech 32 ms frames: down at once, up by this share of
 * the difference per frame (≈ 1.6 s to follow a louder background), so a frame half-filled by an
 * onset does not lift it.
 */
export const NOISE_FLOOR_RISE = 0.02;
/**
 * Sharpness (face-quality.ts) at or below BLUR_MIN counts nothing, at or above BLUR_FULL fully.
 * Measured on the smiling face of the demo photos at the default analysis size: sharp 0.55,
 * Gaussian blur σ 1.5 / 3 / 6 analysis pixels 0.36 / 0.21 / 0.13.
 */
export const BLUR_MIN = 0.1;
export const BLUR_FULL = 0.4;

export interface FaceQualityOptions {
  readonly fullFaceHeight: number;
  readonly minFaceHeight: number;
}

export interface BranchOptions extends FaceQualityOptions {
  readonly speechThreshold: number;
  /** Length of the speech embedding appended to the voice row; 0 for none. */
  readonly embeddingDims: number;
}

export interface StepFeatures {
  readonly t: number;
  readonly duration: number;
  /** FACE_FEATURES values, or null without a face. */
  readonly face: Float32Array | null;
  /** Face reliability: detector score × size × sharpness factors × informativeness; 0 without a face. */
  readonly faceReliability: number;
  /** Whether a frame was analysed at this step (false for drops and sources without video). */
  readonly faceAnalysed: boolean;
  /** VOICE_FEATURES (+ embedding) values, or null when the source has no audio. */
  readonly voice: Float32Array | null;
  /** Voice reliability: speech probability × SNR factor while speech, else 0. */
  readonly voiceReliability: number;
}

/**
 * How much a distribution says: 1 − its entropy over the 8 classes / log 8 (1 for one sure class, 0
 * for a uniform one). A branch whose expression output is nearly flat is an unreliable witness of the
 * expression whatever its input quality: this is what keeps an arousal-only voice from outvoting a
 * clear face, while it still decides alone when the face is gone.
 */
export function informativeness(probs: ArrayLike<number>, offset = 0, classes = 8): number {
  let entropy = 0;
  for (let i = 0; i < classes; i++) {
    const p = probs[offset + i]!;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return Math.max(0, 1 - entropy / Math.log(classes));
}

/** Detector score × size factor × sharpness factor (1 when the face came without a sharpness). */
export function faceReliability(face: FaceResult, options: FaceQualityOptions): number {
  const size = Math.min(1, Math.max(0, (face.box[3] - options.minFaceHeight) / (options.fullFaceHeight - options.minFaceHeight)));
  const sharp = face.sharpness === undefined ? 1 : Math.min(1, Math.max(0, (face.sharpness - BLUR_MIN) / (BLUR_FULL - BLUR_MIN)));
  return face.score * size * sharp;
}

export class BranchFeatures {
  readonly #options: BranchOptions;
  #held: { t: number; features: Float32Array | null; reliability: number } | undefined;
  #pitches: Array<{ t: number; hz: number }> = [];
  #levels: Array<{ t: number; db: number }> = [];
  #noiseFloorDb: number | null = null;
  #embedding: Float32Array | null = null;

  constructor(options: BranchOptions) {
    this.#options = options;
  }

  push(step: TimelineStep): StepFeatures {
    const face = this.#face(step);
    const voice = step.voice === null ? null : this.#voice(step, step.voice);
    return { t: step.t, duration: step.duration, faceAnalysed: step.face !== undefined, ...face, voice: voice?.features ?? null, voiceReliability: voice?.reliability ?? 0 };
  }

  #face(step: TimelineStep): { face: Float32Array | null; faceReliability: number } {
    if (step.face === undefined) {
      const held = this.#held && step.t - this.#held.t <= FACE_HOLD_SECONDS + 1e-9 ? this.#held : undefined;
      return { face: held?.features ?? null, faceReliability: held?.reliability ?? 0 };
    }
    if (step.face === null) {
      this.#held = { t: step.t, features: null, reliability: 0 };
      return { face: null, faceReliability: 0 };
    }
    const probs = withOtherClass(step.face.probs);
    const { valence, arousal } = valenceArousalOf(probs);
    const features = new Float32Array(FACE_FEATURES);
    ABAW_CLASSES.forEach((c, i) => (features[i] = probs[c]));
    features[8] = valence;
    features[9] = arousal;
    const reliability = faceReliability(step.face, this.#options) * informativeness(features);
    this.#held = { t: step.t, features, reliability };
    return { face: features, faceReliability: reliability };
  }

  #voice(step: TimelineStep, frames: readonly VoiceFrame[]): { features: Float32Array; reliability: number } {
    const { speechThreshold, embeddingDims } = this.#options;
    const features = new Float32Array(VOICE_FEATURES + embeddingDims);
    if (step.embedding) this.#embedding = step.embedding;
    if (embeddingDims > 0 && this.#embedding) features.set(this.#embedding.subarray(0, embeddingDims), VOICE_FEATURES);
    const speechFrames = frames.filter((f) => f.speech >= speechThreshold);
    const speech = frames.length > 0 ? frames.reduce((s, f) => s + f.speech, 0) / frames.length : 0;
    const levelSource = speechFrames.length > 0 ? speechFrames : frames;
    const levelDb = levelSource.length > 0 ? levelSource.reduce((s, f) => s + f.energyDb, 0) / levelSource.length : -100;
    for (const f of speechFrames) if (f.pitchHz !== null) this.#pitches.push({ t: f.t, hz: f.pitchHz });
    const horizon = step.t + step.duration - PITCH_CONTEXT_SECONDS;
    while (this.#pitches.length > 0 && this.#pitches[0]!.t < horizon) this.#pitches.shift();
    for (const f of speechFrames) this.#levels.push({ t: f.t, db: f.energyDb });
    while (this.#levels.length > 0 && this.#levels[0]!.t < horizon) this.#levels.shift();
    const energySpread = standardDeviation(this.#levels.map((l) => l.db));
    const range = pitchRangeSt(this.#pitches.map((p) => p.hz));
    const loudness = Math.tanh((levelDb - REFERENCE_LEVEL_DB) / LEVEL_SCALE_DB);
    const variation = range === null ? null : Math.tanh((range - REFERENCE_RANGE_ST) / RANGE_SCALE_ST);
    const arousal = variation === null ? loudness : (loudness + variation) / 2;
    features[0] = speech;
    features[1] = loudness;
    features[2] = variation ?? 0;
    features[3] = variation === null ? 0 : 1;
    features[4] = Math.tanh(energySpread / ENERGY_SCALE_DB);
    features[VOICE_AROUSAL] = arousal;
    if (step.speechExpression) features.set(step.speechExpression.subarray(0, ABAW_CLASSES.length), VOICE_PROBS);
    else expressionFromArousal(arousal, features, VOICE_PROBS);
    const isSpeech = speech >= speechThreshold && speechFrames.length > 0;
    // The floor learns from non-speech frames only; until it has heard any, speech counts fully.
    for (const f of frames) {
      if (f.speech >= speechThreshold) continue;
      const floor = this.#noiseFloorDb;
      this.#noiseFloorDb = floor === null || f.energyDb < floor ? f.energyDb : floor + NOISE_FLOOR_RISE * (f.energyDb - floor);
    }
    const snr = this.#noiseFloorDb === null ? 1 : Math.min(1, Math.max(0, (levelDb - this.#noiseFloorDb - SNR_MIN_DB) / (SNR_FULL_DB - SNR_MIN_DB)));
    return { features, reliability: isSpeech ? speech * snr * informativeness(features, VOICE_PROBS) : 0 };
  }
}

function standardDeviation(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

/** Standard deviation of F0 in semitones around the median, or null with fewer than 3 values. */
export function pitchRangeSt(pitches: readonly number[]): number | null {
  if (pitches.length < 3) return null;
  const sorted = [...pitches].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const st = sorted.map((p) => 12 * Math.log2(p / median));
  const mean = st.reduce((a, b) => a + b, 0) / st.length;
  return Math.sqrt(st.reduce((a, b) => a + (b - mean) ** 2, 0) / st.length);
}
