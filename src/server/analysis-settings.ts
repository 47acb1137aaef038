/**
 * The analysis settings that `analyze` and `serve` share, validated once from command-line strings
 * so every later stage can trust them.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AffectStreamError } from '../core/errors.js';
import { DEFAULT_FUSION_OPTIONS, type FusionOptions } from '../fusion/window-fusion.js';
import { DEFAULT_DECODE_OPTIONS, type DecodeOptions } from '../ingest/gst-source.js';
import { DEFAULT_STREAM_ANALYSIS, type StreamAnalysisOptions } from './stream-analysis.js';
import { defaultBatching, NO_BATCHING, type BatchingOptions, type EngineOptions } from '../pipeline/inference-engine.js';
import { DEVICES, type Device } from '../pipeline/inference-protocol.js';

export const DEFAULT_MANIFEST = fileURLToPath(new URL('../../../models/default/manifest.json', import.meta.url));

const settingsSchema = z.object({
  fps: z.coerce.number().int().min(1).max(60).default(DEFAULT_DECODE_OPTIONS.fps),
  width: z.coerce.number().int().min(64).max(3840).default(DEFAULT_DECODE_OPTIONS.width),
  window: z.coerce.number().min(0.25).max(60).default(DEFAULT_STREAM_ANALYSIS.windowSeconds),
  realtime: z.boolean().default(false),
  models: z.string().default(DEFAULT_MANIFEST),
  /** Default: planned from the machine's cores (planPool). */
  workers: z.coerce.number().int().min(1).max(64).optional(),
  threads: z.coerce.number().int().min(1).max(64).optional(),
  features: z.boolean().default(false),
  device: z.enum(DEVICES).default('cpu'),
  deviceStrict: z.boolean().default(false),
  batching: z.boolean().default(true),
  /** Overrides every model's largest batch. */
  batchSize: z.coerce.number().int().min(1).max(256).optional(),
  /** Overrides every model's batch deadline, ms. */
  batchDelay: z.coerce.number().min(0).max(1000).optional(),
  /** Largest gap between an aligned facial and speech key frame, s. */
  tolerance: z.coerce.number().min(0.02).max(2).default(DEFAULT_FUSION_OPTIONS.keyframeTolerance),
  /** Dilation rates of the temporal fusion, in analysis frames: "1,2,4,8" or a list. */
  dilations: z
    .preprocess((v) => (typeof v === 'string' ? v.split(',').map((d) => d.trim()) : v), z.array(z.coerce.number().int().min(1).max(64)).min(1).max(8))
    .default([...DEFAULT_FUSION_OPTIONS.dilations]),
});

export type AnalysisSettings = z.infer<typeof settingsSchema>;

export function parseAnalysisSettings(raw: Record<string, unknown>): AnalysisSettings {
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ');
    throw new AffectStreamError('invalid_argument', `invalid options: ${issues}`);
  }
  return parsed.data;
}

/** The batching for the device the models end up on (a GPU that cannot load falls back to the CPU defaults). */
export function batchingOf(settings: AnalysisSettings): (device: Device) => BatchingOptions {
  return (device) => {
    const base = settings.batching ? defaultBatching(device) : NO_BATCHING;
    const override = (p: { maxBatch: number; maxDelayMs: number }) => ({ maxBatch: settings.batchSize ?? p.maxBatch, maxDelayMs: settings.batchDelay ?? p.maxDelayMs });
    return { detect: override(base.detect), classify: override(base.classify), voice: override(base.voice), fusion: override(base.fusion) };
  };
}

export function engineOptionsOf(settings: AnalysisSettings): EngineOptions {
  return {
    manifestPath: settings.models,
    device: settings.device,
    deviceStrict: settings.deviceStrict,
    batching: batchingOf(settings),
    ...(settings.workers !== undefined ? { workers: settings.workers } : {}),
    ...(settings.threads !== undefined ? { intraOpThreads: settings.threads } : {}),
  };
}

export function decodeOptionsOf(settings: AnalysisSettings): DecodeOptions {
  return { ...DEFAULT_DECODE_OPTIONS, fps: settings.fps, width: settings.width, realtime: settings.realtime };
}

export function streamOptionsOf(settings: AnalysisSettings, streamId: string): StreamAnalysisOptions {
  return { ...DEFAULT_STREAM_ANALYSIS, streamId, windowSeconds: settings.window, fusion: fusionOptionsOf(settings) };
}

export function fusionOptionsOf(settings: AnalysisSettings): FusionOptions {
  return { ...DEFAULT_FUSION_OPTIONS, emitFeatures: settings.features, stepSeconds: 1 / settings.fps, keyframeTolerance: settings.tolerance, dilations: settings.dilations };
}
