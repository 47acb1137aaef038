/**
 * First fusion, kept for the public API and for the summaries the temporal fusion shares
 * (stream-fusion.ts is what the pipeline runs): one window's face and voice results → expression distribution, valence, arousal and
 * per-modality weights. Face evidence is detector confidence × how large the face is; voice evidence
 * is speech probability. Both are averaged over the window, so a face seen half the window counts half.
 * Valence comes from the face only (the default pack has no voice valence model); arousal blends face
 * and voice by their weights.
 */
import type { FrameFaces, FaceResult } from '../models/face-analyzer.js';
import type { VoiceResult } from '../models/voice-analyzer.js';
import type { AffectEvent, FaceSummary, VoiceSummary } from '../core/events.js';
import { ABAW_CLASSES, topClass, valenceArousalOf, withOtherClass, zeroProbs, type ExpressionProbs } from '../core/abaw.js';
import { voiceProsody } from './voice-arousal.js';

export interface FusionOptions {
  /** Faces at least this tall (fraction of frame height) count fully; smaller ones count less. */
  readonly fullFaceHeight: number;
  /** Faces this small or smaller count nothing. */
  readonly minFaceHeight: number;
  /** Speech probability above which a 32 ms frame is speech. */
  readonly speechThreshold: number;
  /** Include the mean speech embedding in events. */
  readonly emitFeatures: boolean;
  /** Fusion step, s: one per analysis frame (1 / fps). */
  readonly stepSeconds: number;
  /** Largest media-time gap between a facial and a speech key frame that are aligned, s. */
  readonly keyframeTolerance: number;
  /** Dilation rates (in steps) of the temporal fusion layer. */
  readonly dilations: readonly number[];
  /** Taps per dilated kernel. */
  readonly taps: number;
}

export const DEFAULT_FUSION_OPTIONS: Readonly<FusionOptions> = Object.freeze({
  fullFaceHeight: 0.15,
  minFaceHeight: 0.03,
  speechThreshold: 0.5,
  emitFeatures: false,
  stepSeconds: 0.1,
  keyframeTolerance: 0.3,
  dilations: Object.freeze([1, 2, 4, 8]),
  taps: 3,
});

export interface WindowAnalysis {
  readonly start: number;
  readonly end: number;
  /** One entry per analysis frame; empty when the source has no video. */
  readonly faceFrames: readonly FrameFaces[];
  /** Null when the source has no audio. */
  readonly voice: VoiceResult | null;
}

export type FusedWindow = Omit<AffectEvent, 'type' | 'stream' | 'seq' | 'latency_ms' | 'dropped_frames'>;

export function faceEvidence(face: FaceResult, options: FusionOptions): number {
  const height = face.box[3];
  const size = Math.min(1, Math.max(0, (height - options.minFaceHeight) / (options.fullFaceHeight - options.minFaceHeight)));
  return face.score * size;
}

function primaryFace(faces: readonly FaceResult[]): FaceResult | undefined {
  return faces.reduce<FaceResult | undefined>((best, f) => (!best || f.box[2] * f.box[3] > best.box[2] * best.box[3] ? f : best), undefined);
}

export function summariseFaces(frames: readonly FrameFaces[]): FaceSummary[] {
  const latest = [...frames].reverse().find((f) => f.faces.length > 0);
  return (latest?.faces ?? []).map((f) => ({ box: f.box.map(round) as FaceSummary['box'], score: round(f.score), label: topClass(withOtherClass(f.probs)) }));
}

function faceBranch(frames: readonly FrameFaces[], options: FusionOptions) {
  const probs = zeroProbs();
  let evidence = 0;
  for (const frame of frames) {
    const face = primaryFace(frame.faces);
    if (!face) continue;
    const weight = faceEvidence(face, options);
    evidence += weight;
    for (const c of ABAW_CLASSES) probs[c] += face.probs[c] * weight;
  }
  if (evidence <= 0) return { weight: 0, probs: null };
  for (const c of ABAW_CLASSES) probs[c] /= evidence;
  return { weight: evidence / Math.max(1, frames.length), probs: withOtherClass(probs) };
}

export function voiceBranch(voice: VoiceResult | null, options: FusionOptions) {
  if (!voice || voice.frames.length === 0) return { weight: 0, summary: null, arousal: null };
  const speechFrames = voice.frames.filter((f) => f.speech >= options.speechThreshold);
  const meanSpeech = voice.frames.reduce((sum, f) => sum + f.speech, 0) / voice.frames.length;
  const prosody = voiceProsody(speechFrames);
  const summary: VoiceSummary = {
    speech: round(meanSpeech),
    speech_ratio: round(speechFrames.length / voice.frames.length),
    level_db: prosody ? round(prosody.levelDb) : null,
    pitch_hz: prosody?.pitchHz != null ? round(prosody.pitchHz) : null,
    pitch_range_st: prosody?.pitchRangeSt != null ? round(prosody.pitchRangeSt) : null,
    arousal: prosody ? round(prosody.arousal) : null,
    ...(options.emitFeatures ? { embedding: meanEmbedding(voice) } : {}),
  };
  // Without speech frames the voice says nothing about affect, whatever the mean probability.
  return { weight: prosody ? meanSpeech : 0, summary, arousal: prosody?.arousal ?? null };
}

export function fuseWindow(analysis: WindowAnalysis, options: FusionOptions = DEFAULT_FUSION_OPTIONS): FusedWindow {
  const face = faceBranch(analysis.faceFrames, options);
  const voice = voiceBranch(analysis.voice, options);
  const total = face.weight + voice.weight;
  const weights = total > 0 ? { face: face.weight / total, voice: voice.weight / total } : { face: 0, voice: 0 };
  const faceVa = face.probs ? valenceArousalOf(face.probs) : null;
  let arousal: number | null = null;
  if (faceVa && voice.arousal !== null) arousal = weights.face * faceVa.arousal + weights.voice * voice.arousal;
  else arousal = faceVa?.arousal ?? voice.arousal;
  return {
    start: round(analysis.start),
    end: round(analysis.end),
    expression: face.probs ? { label: topClass(face.probs), probs: roundProbs(face.probs) } : null,
    valence: faceVa ? round(faceVa.valence) : null,
    arousal: arousal === null ? null : round(arousal),
    weights: { face: round(weights.face), voice: round(weights.voice) },
    keyframes: [],
    faces: summariseFaces(analysis.faceFrames),
    voice: voice.summary,
    frames: analysis.faceFrames.length,
  };
}

function meanEmbedding(voice: VoiceResult): number[] {
  const count = voice.embeddingCount;
  if (count === 0) return [];
  const dims = voice.embeddings.length / count;
  const mean = new Array<number>(dims).fill(0);
  for (let i = 0; i < count; i++) for (let d = 0; d < dims; d++) mean[d]! += voice.embeddings[i * dims + d]! / count;
  return mean.map(round);
}

export function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

export function roundProbs(probs: ExpressionProbs): ExpressionProbs {
  const out = zeroProbs();
  for (const c of ABAW_CLASSES) out[c] = round(probs[c]);
  return out;
}
