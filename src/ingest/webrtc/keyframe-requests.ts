/**
 * Decides when to ask a video sender for a keyframe (RTCP PLI): at the start of a track, and after a
 * packet loss that retransmission did not repair in time. Requests are spaced so a burst of losses
 * costs the sender one keyframe, not dozens. Pure: the caller passes the clock.
 */
import { Unwrapper } from './rtp-timeline.js';

export interface KeyframeRequestOptions {
  /** How long a missing packet may stay missing (NACK/RTX may still bring it) before it counts as lost. */
  readonly lossGraceMs: number;
  /** Least time between two requests. */
  readonly minIntervalMs: number;
}

export const DEFAULT_KEYFRAME_REQUESTS: Readonly<KeyframeRequestOptions> = Object.freeze({ lossGraceMs: 100, minIntervalMs: 500 });

/** Gaps wider than this are a sender restart or a long outage, not packets worth tracking one by one. */
const MAX_TRACKED_GAP = 512;

export class KeyframeRequests {
  readonly #options: KeyframeRequestOptions;
  readonly #seq = new Unwrapper(16);
  readonly #missing = new Map<number, number>();
  #highest: number | undefined;
  #lastRequestMs = Number.NEGATIVE_INFINITY;
  #wanted = false;
  #requests = 0;
  #lost = 0;

  constructor(options: Partial<KeyframeRequestOptions> = {}) {
    this.#options = { ...DEFAULT_KEYFRAME_REQUESTS, ...options };
  }

  /** Call for every received packet; true when a keyframe request should go out now. */
  packet(sequenceNumber: number, nowMs: number): boolean {
    const seq = this.#seq.unwrap(sequenceNumber);
    if (this.#highest === undefined) {
      this.#highest = seq;
      this.#wanted = true;
    } else if (seq > this.#highest) {
      const gap = seq - this.#highest - 1;
      if (gap > MAX_TRACKED_GAP) this.#wanted = true;
      else for (let s = this.#highest + 1; s < seq; s++) this.#missing.set(s, nowMs + this.#options.lossGraceMs);
      this.#highest = seq;
    } else {
      this.#missing.delete(seq);
    }
    for (const [s, deadline] of this.#missing) {
      if (deadline > nowMs) continue;
      this.#missing.delete(s);
      this.#lost += 1;
      this.#wanted = true;
    }
    if (!this.#wanted || nowMs - this.#lastRequestMs < this.#options.minIntervalMs) return false;
    this.#wanted = false;
    this.#lastRequestMs = nowMs;
    this.#requests += 1;
    return true;
  }

  stats(): { requests: number; lost: number; missing: number } {
    return { requests: this.#requests, lost: this.#lost, missing: this.#missing.size };
  }
}
