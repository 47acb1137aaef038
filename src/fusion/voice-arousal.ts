/**
 * Arousal from the voice alone, from prosody: louder speech and a wider pitch range go with higher
 * arousal (Scherer 2003; Juslin & Laukka 2003). Loudness is measured against a conversational level
 * and pitch range in semitones, so the estimate does not depend on the speaker's own pitch.
 *   loudness  L = tanh((speech level dBFS − REFERENCE_LEVEL_DB) / LEVEL_SCALE_DB)
 *   range     P = tanh((pitch std in semitones − REFERENCE_RANGE_ST) / RANGE_SCALE_ST)
 *   arousal     = (L + P) / 2, or L alone when no frame had a clear pitch.
 */
import type { VoiceFrame } from '../models/voice-analyzer.js';

export const REFERENCE_LEVEL_DB = -30;
export const LEVEL_SCALE_DB = 10;
export const REFERENCE_RANGE_ST = 2;
export const RANGE_SCALE_ST = 2;

export interface VoiceProsody {
  /** Mean level of the speech frames, dBFS. */
  readonly levelDb: number;
  /** Median F0 of voiced speech frames, Hz, or null. */
  readonly pitchHz: number | null;
  /** Standard deviation of F0 in semitones, or null with fewer than 3 voiced frames. */
  readonly pitchRangeSt: number | null;
  readonly arousal: number;
}

export function voiceProsody(speechFrames: readonly VoiceFrame[]): VoiceProsody | null {
  if (speechFrames.length === 0) return null;
  const levelDb = speechFrames.reduce((sum, f) => sum + f.energyDb, 0) / speechFrames.length;
  const pitches = speechFrames.map((f) => f.pitchHz).filter((p): p is number => p !== null).sort((a, b) => a - b);
  const pitchHz = pitches.length > 0 ? pitches[Math.floor(pitches.length / 2)]! : null;
  let pitchRangeSt: number | null = null;
  if (pitches.length >= 3 && pitchHz !== null) {
    const semitones = pitches.map((p) => 12 * Math.log2(p / pitchHz));
    const mean = semitones.reduce((a, b) => a + b, 0) / semitones.length;
    pitchRangeSt = Math.sqrt(semitones.reduce((a, b) => a + (b - mean) ** 2, 0) / semitones.length);
  }
  const loudness = Math.tanh((levelDb - REFERENCE_LEVEL_DB) / LEVEL_SCALE_DB);
  const arousal = pitchRangeSt === null ? loudness : (loudness + Math.tanh((pitchRangeSt - REFERENCE_RANGE_ST) / RANGE_SCALE_ST)) / 2;
  return { levelDb, pitchHz, pitchRangeSt, arousal };
}
