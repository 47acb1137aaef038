/**
 * Face inference started frame by frame as frames arrive, not when their window closes: by the time
 * a window closes, most of its face work is done and only the last frame's remains on the latency path.
 * Results are looked up by frame when the window closes; a frame the windower drops (late) is simply
 * never looked up, and the WeakMap lets its result go.
 */
import type { VideoFrame } from '../ingest/media-types.js';
import type { FrameFaces } from '../models/face-analyzer.js';
import type { InferencePool } from './worker-pool.js';

export class FaceJobs {
  readonly #pool: InferencePool;
  readonly #jobs = new WeakMap<VideoFrame, Promise<FrameFaces[]>>();

  constructor(pool: InferencePool) {
    this.#pool = pool;
  }

  /** Starts the frame's analysis; its pixels move to the worker (the frame keeps only its metadata). */
  submit(frame: VideoFrame): void {
    const { rgb } = frame;
    const job = this.#pool.run(
      { type: 'faces', frames: [{ pts: frame.pts, width: frame.width, height: frame.height, buffer: rgb.buffer as ArrayBuffer, byteOffset: rgb.byteOffset, byteLength: rgb.byteLength }] },
      [rgb.buffer as ArrayBuffer],
    );
    // The failure is reported through resultsFor(); a frame nobody asks for must not crash the process.
    job.catch(() => undefined);
    this.#jobs.set(frame, job);
  }

  /** The analysed frames of a window, in frame order. */
  async resultsFor(frames: readonly VideoFrame[]): Promise<FrameFaces[]> {
    const results = await Promise.all(frames.map((frame) => this.#jobs.get(frame) ?? Promise.reject(new Error(`frame at ${frame.pts} s was never submitted`))));
    return results.flat();
  }
}
