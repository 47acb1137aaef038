/**
 * Bounded exponential backoff for reconnecting live sources: the first retry comes quickly (a feed
 * that blinked is back at once), later ones spread out up to a ceiling, so a feed that comes back after
 * a long outage is picked up within one ceiling, and a dead one costs one connection attempt per ceiling.
 */
export interface BackoffOptions {
  /** Delay before the first retry, ms. */
  readonly initialDelayMs: number;
  /** Ceiling of any delay, ms. */
  readonly maxDelayMs: number;
  /** Each retry waits this many times longer than the one before (up to the ceiling). */
  readonly factor: number;
  /** Retries before giving up; 0: never give up. */
  readonly maxAttempts: number;
}

/**
 * A live feed is worth reconnecting to quickly: with a 500 ms ceiling a returning camera is picked up
 * within half a second, and a dead one costs two refused TCP connections a second.
 */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialDelayMs: 100,
  maxDelayMs: 500,
  factor: 2,
  maxAttempts: 0,
});

export class Backoff {
  readonly #options: BackoffOptions;
  #attempts = 0;

  constructor(options: BackoffOptions) {
    if (!(options.initialDelayMs >= 0) || !(options.maxDelayMs >= options.initialDelayMs) || !(options.factor >= 1)) {
      throw new TypeError('backoff needs 0 <= initialDelayMs <= maxDelayMs and factor >= 1');
    }
    this.#options = options;
  }

  /** Retries since the last success. */
  get attempts(): number {
    return this.#attempts;
  }

  /** The delay before the next retry, or undefined when the attempts are used up. */
  next(): number | undefined {
    const { initialDelayMs, maxDelayMs, factor, maxAttempts } = this.#options;
    if (maxAttempts > 0 && this.#attempts >= maxAttempts) return undefined;
    const delay = Math.min(maxDelayMs, initialDelayMs * factor ** this.#attempts);
    this.#attempts += 1;
    return Math.round(delay);
  }

  /** The source is back: the next outage starts again from the first delay. */
  reset(): void {
    this.#attempts = 0;
  }
}
