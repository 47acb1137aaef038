/**
 * Groups a source's frames and audio into fixed windows on media time. Pure: no timers, no I/O, so it
 * can be tested with synthetic timestamps. A window closes as soon as every track of the source has
 * delivered media past its end; audio is placed sample-accurately, so a chunk that straddles a
 * boundary is split between the two windows.
 */
import type { AudioChunk, MediaItem, TrackLayout, VideoFrame } from '../core/media.js';

export interface MediaWindow {
  /** Window k covers [k·length, (k+1)·length) seconds of media time. */
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly frames: VideoFrame[];
  /** Exactly length·sampleRate samples when the source has audio (zeros where none arrived), else null. */
  readonly audio: Float32Array | null;
  /** How many of those samples came from the source. */
  readonly audioSamples: number;
  /** performance.now() when the media that completed the window arrived. */
  readonly completedAtMs: number;
}

export interface WindowerOptions {
  readonly windowSeconds: number;
  readonly sampleRate: number;
  readonly layout: TrackLayout;
  /** At end of stream, a last partial window shorter than this is dropped rather than reported. */
  readonly minTailSeconds: number;
}

interface OpenWindow {
  frames: VideoFrame[];
  audio: Float32Array | null;
  audioSamples: number;
  lastArrivalMs: number;
}

export interface WindowerStats {
  windowsClosed: number;
  lateItems: number;
  openWindows: number;
}

export class Windower {
  readonly #options: WindowerOptions;
  readonly #open = new Map<number, OpenWindow>();
  #nextIndex: number | undefined;
  #videoEnd = Number.NEGATIVE_INFINITY;
  #audioEnd = Number.NEGATIVE_INFINITY;
  #windowsClosed = 0;
  #lateItems = 0;

  constructor(options: WindowerOptions) {
    if (!(options.windowSeconds > 0)) throw new TypeError('windowSeconds must be > 0');
    if (!options.layout.video && !options.layout.audio) throw new TypeError('a source needs at least one track');
    this.#options = options;
  }

  push(item: MediaItem): MediaWindow[] {
    this.#nextIndex ??= Math.max(0, Math.floor(item.pts / this.#options.windowSeconds));
    if (item.kind === 'video') this.#addFrame(item);
    else this.#addAudio(item);
    return this.#closeCompleted(item.arrivalMs);
  }

  /** End of stream: everything still open goes out, except a too-short tail. */
  flush(): MediaWindow[] {
    const closed: MediaWindow[] = [];
    const mediaEnd = Math.max(this.#videoEnd, this.#audioEnd);
    for (const index of [...this.#open.keys()].sort((a, b) => a - b)) {
      const start = index * this.#options.windowSeconds;
      const isTail = mediaEnd < start + this.#options.windowSeconds;
      if (isTail && mediaEnd - start < this.#options.minTailSeconds) {
        this.#open.delete(index);
        continue;
      }
      closed.push(this.#close(index, this.#open.get(index)?.lastArrivalMs ?? performance.now(), isTail ? mediaEnd : undefined));
    }
    return closed;
  }

  stats(): WindowerStats {
    return { windowsClosed: this.#windowsClosed, lateItems: this.#lateItems, openWindows: this.#open.size };
  }

  #windowOf(index: number): OpenWindow | undefined {
    if (this.#nextIndex === undefined || index < this.#nextIndex) return undefined;
    let window = this.#open.get(index);
    if (!window) {
      const samples = Math.round(this.#options.windowSeconds * this.#options.sampleRate);
      window = { frames: [], audio: this.#options.layout.audio ? new Float32Array(samples) : null, audioSamples: 0, lastArrivalMs: 0 };
      this.#open.set(index, window);
    }
    return window;
  }

  #addFrame(frame: VideoFrame): void {
    this.#videoEnd = Math.max(this.#videoEnd, frame.pts + frame.duration);
    const window = this.#windowOf(Math.floor(frame.pts / this.#options.windowSeconds + 1e-9));
    if (!window) {
      this.#lateItems += 1;
      return;
    }
    window.frames.push(frame);
    window.lastArrivalMs = Math.max(window.lastArrivalMs, frame.arrivalMs);
  }

  #addAudio(chunk: AudioChunk): void {
    const { windowSeconds, sampleRate } = this.#options;
    const perWindow = Math.round(windowSeconds * sampleRate);
    const firstSample = Math.round(chunk.pts * sampleRate);
    this.#audioEnd = Math.max(this.#audioEnd, (firstSample + chunk.samples.length) / sampleRate);
    let offset = 0;
    while (offset < chunk.samples.length) {
      const absolute = firstSample + offset;
      const index = Math.floor(absolute / perWindow);
      const at = absolute - index * perWindow;
      const count = Math.min(chunk.samples.length - offset, perWindow - at);
      const window = this.#windowOf(index);
      if (window?.audio) {
        window.audio.set(chunk.samples.subarray(offset, offset + count), at);
        window.audioSamples += count;
        window.lastArrivalMs = Math.max(window.lastArrivalMs, chunk.arrivalMs);
      } else if (!window) {
        this.#lateItems += 1;
      }
      offset += count;
    }
  }

  #closeCompleted(arrivalMs: number): MediaWindow[] {
    const closed: MediaWindow[] = [];
    const { layout, windowSeconds, sampleRate } = this.#options;
    const tolerance = 0.5 / sampleRate;
    while (this.#nextIndex !== undefined) {
      const end = (this.#nextIndex + 1) * windowSeconds;
      const videoDone = !layout.video || this.#videoEnd >= end - tolerance;
      const audioDone = !layout.audio || this.#audioEnd >= end - tolerance;
      if (!videoDone || !audioDone) break;
      closed.push(this.#close(this.#nextIndex, arrivalMs));
    }
    return closed;
  }

  #close(index: number, completedAtMs: number, tailEnd?: number): MediaWindow {
    const open = this.#windowOf(index) ?? { frames: [], audio: null, audioSamples: 0, lastArrivalMs: completedAtMs };
    this.#open.delete(index);
    this.#nextIndex = index + 1;
    this.#windowsClosed += 1;
    const start = index * this.#options.windowSeconds;
    return {
      index,
      start,
      end: tailEnd ?? start + this.#options.windowSeconds,
      frames: open.frames,
      audio: open.audio,
      audioSamples: open.audioSamples,
      completedAtMs,
    };
  }
}
