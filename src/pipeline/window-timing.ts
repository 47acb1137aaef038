/**
 * performance.now() stamps of one window on its way from decoded media to its event. The pipeline
 * records them for every window (a handful of clock reads a second) and hands them to whoever asks
 * (StreamAnalysisOptions.onTiming): benchmarks split `latency_ms` into stages with them, and the
 * public events stay as they are.
 */
export interface WindowTiming {
  readonly stream: string;
  readonly seq: number;
  /** The window's media time, s. */
  readonly start: number;
  readonly end: number;
  /** The media that completed the window reached the process (decode out); `latency_ms` counts from here. */
  readonly completedAtMs: number;
  /** The window left the windower and its voice request was made. */
  readonly closedAtMs: number;
  /**
   * The last of the window's inference requests still waiting at close went to a worker: its voice
   * request, or its last frame's detector batch when that went later. Equal to closedAtMs when
   * nothing waited.
   */
  readonly dispatchedAtMs: number;
  /** Face results of the window are all in (its last frame's are the last). */
  readonly facesAtMs: number;
  /** Its voice result is in (closedAtMs for a window without audio). */
  readonly voiceAtMs: number;
  /** Face and voice results of the window are all in. */
  readonly inferredAtMs: number;
  /** The window is fused. */
  readonly fusedAtMs: number;
  /** The affect event was made and handed on. */
  readonly emittedAtMs: number;
  readonly frames: number;
  readonly droppedFrames: number;
}
