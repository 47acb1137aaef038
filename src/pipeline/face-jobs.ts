/**
 * A stream's face work, started frame by frame as frames arrive, not when their window closes: by
 * the time a window closes, most of its face work is done and only the last frame's remains on the
 * latency path. When the shared engine falls behind, frames are dropped here, before they cost
 * anything: while it is behind, each window still gets its first frame analysed; when its queue is
 * full, nothing more is admitted, so memory stays bounded however far behind it falls. Audio is
 * never dropped. Results are looked up by frame when the window closes; a frame the windower drops
 * (late) is never looked up, and the WeakMap lets its result go.
 */
import type { VideoFrame } from '../core/media.js';
import type { FrameFaces } from '../models/face-analyzer.js';
import type { InferenceEngine } from './inference-engine.js';
import type { DispatchTrace } from './batch-scheduler.js';

export interface WindowFaces {
  readonly frames: FrameFaces[];
  /** Frames of the window not analysed because inference was behind. */
  readonly dropped: number;
}

const DROPPED = Symbol('dropped');
const NO_PIXELS = new Uint8Array(0);

export class FaceJobs {
  readonly #engine: InferenceEngine;
  readonly #windowSeconds: number;
  /** Each admitted frame's analysis, with when its detector batch went to a worker. */
  readonly #jobs = new WeakMap<VideoFrame, { readonly result: Promise<FrameFaces>; readonly trace: DispatchTrace } | typeof DROPPED>();
  #lastAdmittedWindow = -1;
  #droppedTotal = 0;

  readonly #dropWhenBehind: boolean;

  /** `dropWhenBehind`: live sources shed frames; offline ones are paused upstream instead and lose nothing. */
  constructor(engine: InferenceEngine, windowSeconds: number, dropWhenBehind: boolean) {
    this.#engine = engine;
    this.#windowSeconds = windowSeconds;
    this.#dropWhenBehind = dropWhenBehind;
  }

  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  /**
   * Starts the frame's analysis, or drops it when inference is behind. Returns the frame without its
   * pixels, which is what windows hold: a window waiting for its voice result must not keep ten
   * frames of pixels alive, or memory would grow with how far behind inference is.
   */
  submit(frame: VideoFrame): VideoFrame {
    const slim: VideoFrame = { ...frame, rgb: NO_PIXELS };
    const window = Math.floor(frame.pts / this.#windowSeconds + 1e-9);
    const load = this.#dropWhenBehind ? this.#engine.faceLoad() : 'ok';
    const firstOfWindow = window > this.#lastAdmittedWindow;
    if (load === 'full' || (load === 'behind' && !firstOfWindow)) {
      this.#jobs.set(slim, DROPPED);
      this.#droppedTotal += 1;
      return slim;
    }
    this.#lastAdmittedWindow = Math.max(this.#lastAdmittedWindow, window);
    const trace: DispatchTrace = {};
    const result = this.#engine.analyzeFrame(frame, trace);
    // The failure is reported through resultsFor(); a frame nobody asks for must not crash the process.
    result.catch(() => undefined);
    this.#jobs.set(slim, { result, trace });
    return slim;
  }

  /** When the detector batch of the window's last analysed frame went to a worker (undefined: none went). */
  lastDispatchMs(frames: readonly VideoFrame[]): number | undefined {
    for (let i = frames.length - 1; i >= 0; i--) {
      const job = this.#jobs.get(frames[i]!);
      if (job !== undefined && job !== DROPPED) return job.trace.dispatchedAtMs;
    }
    return undefined;
  }

  /** The analysed frames of a window, in frame order, and how many were dropped. */
  async resultsFor(frames: readonly VideoFrame[]): Promise<WindowFaces> {
    let dropped = 0;
    const jobs: Array<Promise<FrameFaces>> = [];
    for (const frame of frames) {
      const job = this.#jobs.get(frame);
      if (job === DROPPED) dropped += 1;
      else jobs.push(job?.result ?? Promise.reject(new Error(`frame at ${frame.pts} s was never submitted`)));
    }
    return { frames: await Promise.all(jobs), dropped };
  }
}
