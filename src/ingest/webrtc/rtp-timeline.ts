/**
 * RTP bookkeeping for one received track: 32-bit timestamps and 16-bit sequence numbers extended to
 * numbers that never wrap, and a log of when packets arrived, so a decoded frame or audio chunk can be
 * traced back to the arrival of the last packet it was built from (what `latency_ms` counts from).
 * Pure: no timers, no I/O.
 */

/** Extends a wrapping counter (RTP timestamp: 32 bits, sequence number: 16 bits) to a monotonic line. */
export class Unwrapper {
  readonly #half: number;
  readonly #modulus: number;
  #lastRaw: number | undefined;
  #lastExtended = 0;

  constructor(bits: 16 | 32) {
    this.#modulus = 2 ** bits;
    this.#half = this.#modulus / 2;
  }

  /** The extended value of `raw`; values a little behind the newest (reordering) stay behind it. */
  unwrap(raw: number): number {
    if (this.#lastRaw === undefined) {
      this.#lastRaw = raw;
      this.#lastExtended = raw;
      return raw;
    }
    let diff = (raw - this.#lastRaw) % this.#modulus;
    if (diff < 0) diff += this.#modulus;
    if (diff >= this.#half) diff -= this.#modulus;
    const extended = this.#lastExtended + diff;
    if (diff > 0) {
      this.#lastRaw = raw;
      this.#lastExtended = extended;
    }
    return extended;
  }
}

/**
 * Arrival times by extended RTP timestamp. Entries older than `horizonTicks` behind the newest are
 * pruned, so memory stays bounded on an endless stream.
 */
export class ArrivalLog {
  readonly #horizonTicks: number;
  readonly #timestamps: number[] = [];
  readonly #arrivals: number[] = [];

  constructor(horizonTicks: number) {
    this.#horizonTicks = horizonTicks;
  }

  record(extTimestamp: number, arrivalMs: number): void {
    const ts = this.#timestamps;
    const last = ts.length - 1;
    if (last < 0 || extTimestamp > ts[last]!) {
      ts.push(extTimestamp);
      this.#arrivals.push(arrivalMs);
    } else {
      // Same frame as the newest (a frame spans several packets), or a late/retransmitted packet.
      const i = this.#indexAtOrBefore(extTimestamp);
      if (i >= 0 && ts[i] === extTimestamp) this.#arrivals[i] = Math.max(this.#arrivals[i]!, arrivalMs);
      else {
        ts.splice(i + 1, 0, extTimestamp);
        this.#arrivals.splice(i + 1, 0, arrivalMs);
      }
    }
    const oldest = ts[ts.length - 1]! - this.#horizonTicks;
    let drop = 0;
    while (drop < ts.length && ts[drop]! < oldest) drop += 1;
    if (drop > 0) {
      ts.splice(0, drop);
      this.#arrivals.splice(0, drop);
    }
  }

  /** When the last packet with a timestamp at or before `extTimestamp` arrived; undefined if none is logged. */
  lastArrivalUpTo(extTimestamp: number): number | undefined {
    const i = this.#indexAtOrBefore(extTimestamp);
    if (i < 0) return undefined;
    let latest = this.#arrivals[i]!;
    for (let j = i - 1; j >= 0; j--) latest = Math.max(latest, this.#arrivals[j]!);
    return latest;
  }

  get size(): number {
    return this.#timestamps.length;
  }

  #indexAtOrBefore(extTimestamp: number): number {
    let lo = 0;
    let hi = this.#timestamps.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#timestamps[mid]! <= extTimestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}
