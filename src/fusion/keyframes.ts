/**
 * Facial and speech key frames, and their alignment on media time (paper 1's key-frame alignment).
 * Facial key frames: where the expression distribution changes most (total variation distance to
 * the previous face ≥ FACE_CHANGE) or turns intense (non-neutral mass crossing FACE_INTENSITY).
 * Speech key frames: speech onsets, and energy or pitch jumps during speech. A key frame pairs with
 * the latest unpaired key frame of the other modality at most `tolerance` seconds before it.
 *
 * Everything is causal: a key frame is decided when its frame arrives, and a pair when its second
 * member does, so a window's key frames never wait for the next window. A key frame stays at most
 * one per modality per `tolerance` seconds (the first wins), which keeps one expression change or one
 * onset from reading as several.
 */
import { ABAW_CLASSES } from '../core/abaw.js';
import type { VoiceFrame } from '../models/voice-analyzer.js';

export type Modality = 'face' | 'voice';

export interface Keyframe {
  /** Media time, s. */
  readonly t: number;
  readonly modality: Modality;
  /** 0..1. */
  readonly strength: number;
  /** Media time of the key frame of the other modality it is aligned with, once known. */
  pairedT: number | null;
  /** Media time at which the pair was made (the later member's time). */
  pairedAt: number | null;
  /** Order of detection in the stream, from 1. */
  readonly seq: number;
  /** `seq` of the key frame that completed the pair: tells what was known when. */
  pairedBySeq: number | null;
}

export const FACE_CHANGE = 0.25;
export const FACE_INTENSITY = 0.5;
export const ENERGY_RISE_DB = 6;
export const PITCH_RISE_ST = 3;
/** Energy rises are measured against the mean level of this many previous voice frames. */
const LEVEL_CONTEXT = 5;
/** A pitch jump counts between voiced frames at most this far apart, s. */
const PITCH_GAP_SECONDS = 0.1;

const NEUTRAL = ABAW_CLASSES.indexOf('Neutral');
const OTHER = ABAW_CLASSES.indexOf('Other');

export interface KeyframeOptions {
  readonly tolerance: number;
  readonly speechThreshold: number;
}

export class KeyframeDetector {
  readonly #options: KeyframeOptions;
  #prevFace: Float32Array | null = null;
  #prevSpeech = 0;
  #levels: number[] = [];
  #prevPitch: { t: number; hz: number } | null = null;
  #last: Record<Modality, number> = { face: Number.NEGATIVE_INFINITY, voice: Number.NEGATIVE_INFINITY };
  #unpaired: Keyframe[] = [];
  #count = 0;

  constructor(options: KeyframeOptions) {
    this.#options = options;
  }

  /** Key frames found so far. */
  get count(): number {
    return this.#count;
  }

  /** An analysed frame: `features` is the face row (8 probabilities first), or null without a face. */
  face(t: number, features: Float32Array | null): Keyframe | null {
    const prev = this.#prevFace;
    this.#prevFace = features;
    if (!features) return null;
    const intensity = 1 - features[NEUTRAL]! - features[OTHER]!;
    const prevIntensity = prev ? 1 - prev[NEUTRAL]! - prev[OTHER]! : 0;
    let change = 0;
    if (prev) for (let i = 0; i < ABAW_CLASSES.length; i++) change += Math.abs(features[i]! - prev[i]!) / 2;
    const score = Math.max(change >= FACE_CHANGE ? change : 0, intensity >= FACE_INTENSITY && prevIntensity < FACE_INTENSITY ? intensity : 0);
    return score > 0 ? this.#key(t, 'face', score) : null;
  }

  /** One 32 ms voice frame, `t` in media seconds. */
  voice(frame: VoiceFrame): Keyframe | null {
    const { speechThreshold } = this.#options;
    const speaking = frame.speech >= speechThreshold;
    let score = 0;
    if (speaking && this.#prevSpeech < speechThreshold) score = frame.speech;
    if (speaking && this.#levels.length === LEVEL_CONTEXT) {
      const rise = frame.energyDb - this.#levels.reduce((a, b) => a + b, 0) / LEVEL_CONTEXT;
      if (rise >= ENERGY_RISE_DB) score = Math.max(score, Math.min(1, rise / (2 * ENERGY_RISE_DB)));
    }
    if (speaking && frame.pitchHz !== null) {
      const prev = this.#prevPitch;
      if (prev && frame.t - prev.t <= PITCH_GAP_SECONDS + 1e-9) {
        const rise = 12 * Math.log2(frame.pitchHz / prev.hz);
        if (rise >= PITCH_RISE_ST) score = Math.max(score, Math.min(1, rise / (2 * PITCH_RISE_ST)));
      }
      this.#prevPitch = { t: frame.t, hz: frame.pitchHz };
    }
    this.#prevSpeech = frame.speech;
    this.#levels.push(frame.energyDb);
    if (this.#levels.length > LEVEL_CONTEXT) this.#levels.shift();
    return score > 0 ? this.#key(frame.t, 'voice', score) : null;
  }

  #key(t: number, modality: Modality, strength: number): Keyframe | null {
    const { tolerance } = this.#options;
    if (t - this.#last[modality] < tolerance - 1e-9) return null;
    this.#last[modality] = t;
    this.#count += 1;
    const key: Keyframe = { t, modality, strength: Math.min(1, strength), pairedT: null, pairedAt: null, seq: this.#count, pairedBySeq: null };
    this.#unpaired = this.#unpaired.filter((k) => t - k.t <= tolerance + 1e-9);
    const partner = this.#unpaired.filter((k) => k.modality !== modality).at(-1);
    if (partner) {
      partner.pairedT = t;
      partner.pairedAt = t;
      partner.pairedBySeq = key.seq;
      key.pairedT = partner.t;
      key.pairedAt = t;
      key.pairedBySeq = key.seq;
      this.#unpaired = this.#unpaired.filter((k) => k !== partner);
    } else {
      this.#unpaired.push(key);
    }
    return key;
  }
}
