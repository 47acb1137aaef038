/**
 * The analysis settings that `analyze` and `serve` share, validated once from command-line strings
 * so every later stage can trust them.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AffectStreamError } from '../errors.js';
import { DEFAULT_FUSION_OPTIONS } from '../fusion/window-fusion.js';
import { DEFAULT_DECODE_OPTIONS, type DecodeOptions } from '../ingest/gst-source.js';
import { DEFAULT_STREAM_ANALYSIS, type StreamAnalysisOptions } from '../pipeline/stream-analysis.js';
import { InferencePool } from '../pipeline/worker-pool.js';

export const DEFAULT_MANIFEST = fileURLToPath(new URL('../../../models/default/manifest.json', import.meta.url));

const settingsSchema = z.object({
  fps: z.coerce.number().int().min(1).max(60).default(DEFAULT_DECODE_OPTIONS.fps),
  width: z.coerce.number().int().min(64).max(3840).default(DEFAULT_DECODE_OPTIONS.width),
  window: z.coerce.number().min(0.25).max(60).default(DEFAULT_STREAM_ANALYSIS.windowSeconds),
  realtime: z.boolean().default(false),
  models: z.string().default(DEFAULT_MANIFEST),
  workers: z.coerce.number().int().min(1).max(64).default(InferencePool.defaultWorkerCount()),
  threads: z.coerce.number().int().min(1).max(64).default(1),
  features: z.boolean().default(false),
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

export function decodeOptionsOf(settings: AnalysisSettings): DecodeOptions {
  return { ...DEFAULT_DECODE_OPTIONS, fps: settings.fps, width: settings.width, realtime: settings.realtime };
}

export function streamOptionsOf(settings: AnalysisSettings, streamId: string): StreamAnalysisOptions {
  return { ...DEFAULT_STREAM_ANALYSIS, streamId, windowSeconds: settings.window, fusion: { ...DEFAULT_FUSION_OPTIONS, emitFeatures: settings.features } };
}
