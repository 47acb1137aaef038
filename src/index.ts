/** Public API of the affectstream package, for embedding the pipeline in another Node program. */
export { AffectStreamError, type ErrorCode } from './errors.js';
export { decodeUri, DEFAULT_DECODE_OPTIONS, type DecodeOptions, type IngestItem } from './ingest/gst-source.js';
export { toSourceUri, defaultStreamId } from './ingest/source-uri.js';
export type { AudioChunk, MediaItem, TrackLayout, VideoFrame } from './ingest/media-types.js';
export { Windower, type MediaWindow, type WindowerOptions } from './pipeline/windower.js';
export { InferencePool, type PoolOptions } from './pipeline/worker-pool.js';
export { analyzeMedia, analyzeUri, DEFAULT_STREAM_ANALYSIS, type StreamAnalysisOptions } from './pipeline/stream-analysis.js';
export { loadManifest, manifestSchema, type ModelManifest } from './models/manifest.js';
export { ABAW_CLASSES, CLASS_VALENCE_AROUSAL, type AbawClass, type ExpressionProbs } from './fusion/abaw.js';
export { fuseWindow, DEFAULT_FUSION_OPTIONS, type FusionOptions } from './fusion/window-fusion.js';
export type { AffectEvent, ErrorEvent, StatusEvent, StreamEvent } from './sink/events.js';
export { EventFeed } from './sink/event-feed.js';
export { NdjsonWriter } from './sink/ndjson-writer.js';
