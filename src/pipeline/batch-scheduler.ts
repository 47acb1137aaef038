/**
 * One queue per model, shared by every stream: a batch goes when it is full or when its oldest request
 * has waited its deadline (the rule of DeepStream's nvstreammux), and never while `maxInFlight` batches
 * of this model are already running, so under load requests pile up into bigger batches instead of
 * more calls. Each request gets its own result back. A runner may fail a whole batch (all its
 * requests are rejected, nothing outside it) or single items of it, by returning an Error in their place.
 */
import { AffectStreamError } from '../core/errors.js';

export interface BatchPolicy {
  /** Most requests in one batch; 1 turns batching off. */
  readonly maxBatch: number;
  /** How long the oldest request may wait for a batch to fill, ms. */
  readonly maxDelayMs: number;
}

export interface BatchSchedulerOptions extends BatchPolicy {
  readonly name: string;
  /** Batches of this model running at once (the pool's worker count). */
  readonly maxInFlight: number;
}

/** Runs one batch; returns one result per item, in item order, or an Error for an item that failed alone. */
export type BatchRunner<I, O> = (items: I[]) => Promise<Array<O | Error>>;

export interface BatchStats {
  readonly name: string;
  readonly batches: number;
  readonly items: number;
  readonly failedBatches: number;
  readonly queued: number;
  readonly inFlight: number;
  /** Age of the oldest queued request, ms (0 when the queue is empty). */
  readonly oldestWaitMs: number;
  readonly meanBatch: number;
  /** Summed time requests waited in the queue before their batch went, ms. */
  readonly queueWaitMs: number;
}

/** Filled in when the request's batch goes to a worker: how long it queued is visible per request. */
export interface DispatchTrace {
  dispatchedAtMs?: number;
}

interface Queued<I, O> {
  readonly item: I;
  readonly enqueuedAt: number;
  readonly trace: DispatchTrace | undefined;
  resolve(value: O): void;
  reject(reason: unknown): void;
}

export class BatchScheduler<I, O> {
  readonly #options: BatchSchedulerOptions;
  readonly #run: BatchRunner<I, O>;
  readonly #now: () => number;
  #queue: Queued<I, O>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight = 0;
  #closed = false;
  #batches = 0;
  #items = 0;
  #failedBatches = 0;
  #queueWaitMs = 0;

  constructor(options: BatchSchedulerOptions, run: BatchRunner<I, O>, now: () => number = () => performance.now()) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new TypeError(`${options.name}: maxBatch must be a whole number ≥ 1, got ${options.maxBatch}`);
    if (!(options.maxDelayMs >= 0)) throw new TypeError(`${options.name}: maxDelayMs must be ≥ 0, got ${options.maxDelayMs}`);
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) throw new TypeError(`${options.name}: maxInFlight must be a whole number ≥ 1, got ${options.maxInFlight}`);
    this.#options = options;
    this.#run = run;
    this.#now = now;
  }

  get name(): string {
    return this.#options.name;
  }

  submit(item: I, trace?: DispatchTrace): Promise<O> {
    if (this.#closed) return Promise.reject(new AffectStreamError('closed', `the ${this.#options.name} scheduler is closed`));
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, enqueuedAt: this.#now(), trace, resolve, reject });
      this.#pump();
    });
  }

  /** Age of the oldest request still waiting for its batch, ms. */
  oldestWaitMs(): number {
    const oldest = this.#queue[0];
    return oldest ? this.#now() - oldest.enqueuedAt : 0;
  }

  get queued(): number {
    return this.#queue.length;
  }

  stats(): BatchStats {
    return {
      name: this.#options.name,
      batches: this.#batches,
      items: this.#items,
      failedBatches: this.#failedBatches,
      queued: this.#queue.length,
      inFlight: this.#inFlight,
      oldestWaitMs: this.oldestWaitMs(),
      meanBatch: this.#batches > 0 ? this.#items / this.#batches : 0,
      queueWaitMs: this.#queueWaitMs,
    };
  }

  /** Rejects everything still queued; batches already running settle as they finish. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    const error = new AffectStreamError('closed', `the ${this.#options.name} scheduler was closed`);
    for (const q of this.#queue.splice(0)) q.reject(error);
  }

  #pump(): void {
    const { maxBatch, maxDelayMs, maxInFlight } = this.#options;
    while (this.#queue.length > 0 && this.#inFlight < maxInFlight) {
      const due = this.#queue.length >= maxBatch || this.#now() - this.#queue[0]!.enqueuedAt >= maxDelayMs;
      if (!due) break;
      this.#dispatch(this.#queue.splice(0, maxBatch));
    }
    this.#armTimer();
  }

  #armTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const oldest = this.#queue[0];
    // With every lane busy the next batch goes when one finishes; no timer needed until then.
    if (!oldest || this.#closed || this.#inFlight >= this.#options.maxInFlight) return;
    const wait = Math.max(0, oldest.enqueuedAt + this.#options.maxDelayMs - this.#now());
    // Left ref'd: a request waiting for its deadline is work in progress and must keep the process alive.
    this.#timer = setTimeout(() => this.#pump(), wait);
  }

  #dispatch(batch: Queued<I, O>[]): void {
    const now = this.#now();
    this.#inFlight += 1;
    this.#batches += 1;
    this.#items += batch.length;
    for (const q of batch) {
      this.#queueWaitMs += now - q.enqueuedAt;
      if (q.trace) q.trace.dispatchedAtMs = now;
    }
    let running: Promise<Array<O | Error>>;
    try {
      running = this.#run(batch.map((q) => q.item));
    } catch (err) {
      running = Promise.reject(err);
    }
    running
      .then((results) => {
        if (results.length !== batch.length) throw new AffectStreamError('model_failed', `${this.#options.name}: a batch of ${batch.length} returned ${results.length} results`);
        batch.forEach((q, i) => {
          const result = results[i]!;
          if (result instanceof Error) q.reject(result);
          else q.resolve(result);
        });
      })
      .catch((err: unknown) => {
        this.#failedBatches += 1;
        for (const q of batch) q.reject(err);
      })
      .finally(() => {
        this.#inFlight -= 1;
        this.#pump();
      });
  }
}
