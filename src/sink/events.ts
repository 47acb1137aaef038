/**
 * The events affectstream emits, one affect event per stream per window, plus typed errors and
 * status changes. Field names are the public contract: add fields, never rename.
 */
import type { AbawClass, ExpressionProbs } from '../fusion/abaw.js';
import type { ErrorCode } from '../errors.js';

export interface FaceSummary {
  /** [x, y, w, h], 0..1 of the frame. */
  readonly box: [number, number, number, number];
  readonly score: number;
  readonly label: AbawClass;
}

export interface VoiceSummary {
  /** Mean speech probability over the window. */
  readonly speech: number;
  /** Share of the window's 32 ms frames with speech. */
  readonly speech_ratio: number;
  readonly level_db: number | null;
  readonly pitch_hz: number | null;
  readonly pitch_range_st: number | null;
  readonly arousal: number | null;
  /** Mean 96-d speech embedding of the window; only with --features. */
  readonly embedding?: number[];
}

export interface AffectEvent {
  readonly type: 'affect';
  readonly stream: string;
  readonly seq: number;
  readonly start: number;
  readonly end: number;
  readonly expression: { readonly label: AbawClass; readonly probs: ExpressionProbs } | null;
  readonly valence: number | null;
  readonly arousal: number | null;
  readonly weights: { readonly face: number; readonly voice: number };
  readonly faces: FaceSummary[];
  readonly voice: VoiceSummary | null;
  /** Analysis frames in the window that were analysed. */
  readonly frames: number;
  /** Analysis frames of the window left out because inference was behind real time. */
  readonly dropped_frames: number;
  /** From the arrival of the window's last media to this event, ms. */
  readonly latency_ms: number;
}

export interface ErrorEvent {
  readonly type: 'error';
  readonly stream: string;
  readonly code: ErrorCode;
  readonly message: string;
  /** Window the error hit, when it hit one window only. */
  readonly seq?: number;
}

export interface StatusEvent {
  readonly type: 'status';
  readonly stream: string;
  readonly state: 'started' | 'ended' | 'failed';
  readonly windows: number;
  readonly tracks?: { readonly video: boolean; readonly audio: boolean };
}

export type StreamEvent = AffectEvent | ErrorEvent | StatusEvent;
