/**
 * The events affectstream emits, one affect event per stream per window, plus typed errors and
 * status changes. Field names are the public contract: add fields, never rename.
 */
import type { AbawClass, ExpressionProbs } from './abaw.js';
import type { ErrorCode } from './errors.js';

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

/** A facial or speech key frame of the window (see docs/fusion.md). */
export interface KeyframeSummary {
  /** Media time, s. */
  readonly t: number;
  readonly modality: 'face' | 'voice';
  /** 0..1. */
  readonly strength: number;
  /** Time of the key frame of the other modality it is aligned with, or null (not aligned, or not yet by this window's end). */
  readonly paired_t: number | null;
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
  /** Window means of the per-step face and voice weights of the fusion (sum 1; both 0 with neither face nor speech). */
  readonly weights: { readonly face: number; readonly voice: number };
  /** Facial and speech key frames found in the window, in time order of detection. */
  readonly keyframes: KeyframeSummary[];
  readonly faces: FaceSummary[];
  readonly voice: VoiceSummary | null;
  /** Analysis frames in the window that were analysed. */
  readonly frames: number;
  /** Analysis frames of the window left out because inference was behind real time. */
  readonly dropped_frames: number;
  /** From the arrival of the window's last media to this event, ms. */
  readonly latency_ms: number;
  /** Live sources: true when part of the window fell in an outage of the feed (see status `resumed`). */
  readonly gap?: boolean;
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
  /**
   * `reconnecting`: a live feed dropped and is being reconnected (again after each failed attempt);
   * `resumed`: it is back, and `gap` gives the media seconds it was away.
   */
  readonly state: 'started' | 'ended' | 'failed' | 'reconnecting' | 'resumed';
  readonly windows: number;
  readonly tracks?: { readonly video: boolean; readonly audio: boolean };
  /** `reconnecting`: the attempt about to be made (1, 2, …) and the wait before it, ms. */
  readonly attempt?: number;
  readonly retry_in_ms?: number;
  /** `reconnecting`: why the feed or the last attempt was lost. */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
  /** `resumed`: media seconds without media; the windows in it come with `gap: true`. */
  readonly gap?: { readonly from: number; readonly to: number };
  /** `resumed`: wall-clock time from the drop to the first media after it, ms. */
  readonly downtime_ms?: number;
  /** `ended`: why, when it was not the end of the source (`deleted` through the control API). */
  readonly reason?: string;
}

export type StreamEvent = AffectEvent | ErrorEvent | StatusEvent;
