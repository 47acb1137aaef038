/**
 * Puts one window's branch outputs on one timeline of fusion steps, one step per analysis frame
 * interval: the primary face of the frame analysed in the step, and the 32 ms voice frames that start
 * in it (with media times, not window-relative ones). Pure; the stateful per-step work comes after.
 */
import type { FaceResult, FrameFaces } from '../models/face-analyzer.js';
import type { VoiceFrame, VoiceResult } from '../models/voice-analyzer.js';

export interface TimelineStep {
  /** Media time of the step's start, s. */
  readonly t: number;
  readonly duration: number;
  /**
   * The primary (largest) face of the frame analysed in this step; null: a frame was analysed and
   * showed no face; undefined: no frame was analysed here (dropped, a slower source, or no video).
   */
  readonly face: FaceResult | null | undefined;
  /** Voice frames starting in this step, `t` in media seconds; null when the source has no audio. */
  readonly voice: VoiceFrame[] | null;
  /** The newest speech embedding whose patch ends in this step, if any. */
  readonly embedding: Float32Array | null;
  /** The pack's speech expression model's 8 ABAW probabilities for the window this step is in, if it ran. */
  readonly speechExpression?: Float32Array;
}

export interface TimelineWindow {
  readonly start: number;
  readonly end: number;
  readonly faceFrames: readonly FrameFaces[];
  readonly voice: VoiceResult | null;
}

export function primaryFace(faces: readonly FaceResult[]): FaceResult | undefined {
  return faces.reduce<FaceResult | undefined>((best, f) => (!best || f.box[2] * f.box[3] > best.box[2] * best.box[3] ? f : best), undefined);
}

export function stepCount(start: number, end: number, stepSeconds: number): number {
  return Math.max(1, Math.round((end - start) / stepSeconds));
}

/** `embeddingHopSeconds`: time between speech embeddings; the last one ends at the window's end. */
export function windowTimeline(window: TimelineWindow, stepSeconds: number, embeddingHopSeconds: number): TimelineStep[] {
  const n = stepCount(window.start, window.end, stepSeconds);
  const indexOf = (t: number) => Math.min(n - 1, Math.max(0, Math.floor((t - window.start) / stepSeconds + 1e-6)));
  const faces: Array<FaceResult | null | undefined> = new Array(n).fill(undefined);
  for (const frame of window.faceFrames) faces[indexOf(frame.pts)] = primaryFace(frame.faces) ?? null;
  const voice: Array<VoiceFrame[] | null> = Array.from({ length: n }, () => (window.voice ? [] : null));
  for (const f of window.voice?.frames ?? []) voice[indexOf(window.start + f.t)]!.push({ ...f, t: window.start + f.t });
  const embeddings: Array<Float32Array | null> = new Array(n).fill(null);
  const count = window.voice?.embeddingCount ?? 0;
  if (window.voice && count > 0) {
    const dims = window.voice.embeddings.length / count;
    for (let i = 0; i < count; i++) {
      const endsAt = window.end - (count - 1 - i) * embeddingHopSeconds;
      embeddings[indexOf(endsAt - 1e-6)] = window.voice.embeddings.subarray(i * dims, (i + 1) * dims);
    }
  }
  // The model sees seconds of context ending at the window's end: one output for the whole window.
  const speechExpression = window.voice?.expression?.abaw;
  return Array.from({ length: n }, (_, k) => ({ t: window.start + k * stepSeconds, duration: stepSeconds, face: faces[k], voice: voice[k]!, embedding: embeddings[k]!, ...(speechExpression ? { speechExpression } : {}) }));
}
