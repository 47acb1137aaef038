/**
 * The tagged-union items that leave ingest. Times are media seconds on the source's one clock
 * (GStreamer running time), so audio and video of a source can be windowed together.
 */
export interface VideoFrame {
  readonly kind: 'video';
  /** Media time of the frame, seconds. */
  readonly pts: number;
  /** How long the frame stands, seconds (1 / analysis fps). */
  readonly duration: number;
  readonly width: number;
  readonly height: number;
  /** Packed RGB, 3 bytes per pixel, rows without padding. */
  readonly rgb: Uint8Array;
  /** performance.now() when the frame reached the process. */
  readonly arrivalMs: number;
}

export interface AudioChunk {
  readonly kind: 'audio';
  /** Media time of the first sample, seconds. */
  readonly pts: number;
  readonly sampleRate: number;
  /** Mono float samples in [-1, 1]. */
  readonly samples: Float32Array;
  readonly arrivalMs: number;
}

export type MediaItem = VideoFrame | AudioChunk;

/** Which tracks a source carries; known once the source has prerolled. */
export interface TrackLayout {
  readonly video: boolean;
  readonly audio: boolean;
}

/** What a source yields: media, and once prerolled, which tracks it carries. */
export type IngestItem = MediaItem | { readonly kind: 'tracks'; readonly layout: TrackLayout };

export const ANALYSIS_SAMPLE_RATE = 16000;
