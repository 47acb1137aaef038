/**
 * The events affectstream emits, one affect event per stream per window, plus typed errors and
 * status changes. Field names are the public contract: add fields, never rename.
 *
 * The zod schemas are the definition and the types are inferred from them, so what the code builds
 * and what a check accepts cannot drift apart; the feed's wire schema (sink/feed-protocol.ts) and its
 * JSON Schema for other languages are derived from these.
 */
import { z } from 'zod';
import { ABAW_CLASSES } from './abaw.js';
import { ERROR_CODES } from './errors.js';

const streamId = z.string().min(1).max(256);
const seq = z.number().int().min(0);
const unit = z.number().min(-1).max(1);
const share = z.number().min(0).max(1);
const abawLabel = z.enum(ABAW_CLASSES);

export const expressionProbsSchema = z.strictObject(Object.fromEntries(ABAW_CLASSES.map((c) => [c, share])) as Record<(typeof ABAW_CLASSES)[number], typeof share>);

export const faceSummarySchema = z.object({
  /** [x, y, w, h], 0..1 of the frame. */
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  score: z.number(),
  label: abawLabel,
});

export const voiceSummarySchema = z.object({
  /** Mean speech probability over the window. */
  speech: share,
  /** Share of the window's 32 ms frames with speech. */
  speech_ratio: share,
  level_db: z.number().nullable(),
  pitch_hz: z.number().nullable(),
  pitch_range_st: z.number().nullable(),
  arousal: unit.nullable(),
  /** Mean 96-d speech embedding of the window; only with --features. */
  embedding: z.array(z.number()).optional(),
});

/** A facial or speech key frame of the window (see docs/fusion.md). */
export const keyframeSummarySchema = z.object({
  /** Media time, s. */
  t: z.number(),
  modality: z.enum(['face', 'voice']),
  strength: share,
  /** Time of the key frame of the other modality it is aligned with, or null (not aligned, or not yet by this window's end). */
  paired_t: z.number().nullable(),
});

export const affectEventSchema = z.object({
  type: z.literal('affect'),
  stream: streamId,
  seq,
  start: z.number().min(0),
  end: z.number().min(0),
  expression: z.strictObject({ label: abawLabel, probs: expressionProbsSchema }).nullable(),
  valence: unit.nullable(),
  arousal: unit.nullable(),
  /** Window means of the per-step face and voice weights of the fusion (sum 1; both 0 with neither face nor speech). */
  weights: z.object({ face: share, voice: share }),
  /** Facial and speech key frames found in the window, in time order of detection. */
  keyframes: z.array(keyframeSummarySchema),
  faces: z.array(faceSummarySchema),
  voice: voiceSummarySchema.nullable(),
  /** Analysis frames in the window that were analysed. */
  frames: z.number().int().min(0),
  /** Analysis frames of the window left out because inference was behind real time. */
  dropped_frames: z.number().int().min(0),
  /** From the arrival of the window's last media to this event, ms. */
  latency_ms: z.number().min(0),
  /** Live sources: true when part of the window fell in an outage of the feed (see status `resumed`). */
  gap: z.boolean().optional(),
});

export const errorEventSchema = z.object({
  type: z.literal('error'),
  stream: streamId,
  code: z.enum(ERROR_CODES),
  message: z.string(),
  /** Window the error hit, when it hit one window only. */
  seq: seq.optional(),
});

export const STATUS_STATES = ['started', 'ended', 'failed', 'reconnecting', 'resumed'] as const;

export const statusEventSchema = z.object({
  type: z.literal('status'),
  stream: streamId,
  /**
   * `reconnecting`: a live feed dropped and is being reconnected (again after each failed attempt);
   * `resumed`: it is back, and `gap` gives the media seconds it was away.
   */
  state: z.enum(STATUS_STATES),
  windows: z.number().int().min(0),
  tracks: z.object({ video: z.boolean(), audio: z.boolean() }).optional(),
  /** `reconnecting`: the attempt about to be made (1, 2, …) and the wait before it, ms. */
  attempt: z.number().int().min(1).optional(),
  retry_in_ms: z.number().min(0).optional(),
  /** `reconnecting`: why the feed or the last attempt was lost. */
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }).optional(),
  /** `resumed`: media seconds without media; the windows in it come with `gap: true`. */
  gap: z.object({ from: z.number(), to: z.number() }).optional(),
  /** `resumed`: wall-clock time from the drop to the first media after it, ms. */
  downtime_ms: z.number().min(0).optional(),
  /** `ended`: why, when it was not the end of the source (`deleted` through the control API). */
  reason: z.string().optional(),
});

export const streamEventSchema = z.discriminatedUnion('type', [affectEventSchema, errorEventSchema, statusEventSchema]);

export type FaceSummary = z.infer<typeof faceSummarySchema>;
export type VoiceSummary = z.infer<typeof voiceSummarySchema>;
export type KeyframeSummary = z.infer<typeof keyframeSummarySchema>;
export type AffectEvent = z.infer<typeof affectEventSchema>;
export type ErrorEvent = z.infer<typeof errorEventSchema>;
export type StatusEvent = z.infer<typeof statusEventSchema>;
export type StreamEvent = z.infer<typeof streamEventSchema>;
