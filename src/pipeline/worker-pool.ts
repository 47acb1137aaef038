/**
 * A pool of inference workers shared by every stream. Requests go to the least-loaded worker; each
 * pending request is settled exactly once: by its reply, or by rejection when its worker dies or the
 * pool closes. A worker that dies is replaced, so one failure costs only the requests it held.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AffectStreamError } from '../errors.js';
import type { InferenceRequest, InferenceResult, WorkerInit, WorkerReady, WorkerReply } from './inference-protocol.js';

export interface PoolOptions {
  readonly manifestPath: string;
  /** Number of worker threads; default: cores − 1, at least 1 (decoding needs a core too). */
  readonly workers?: number;
  /** ONNX Runtime intra-op threads per worker; default 1, so workers × threads stays within the cores. */
  readonly intraOpThreads?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

interface Lane {
  worker: Worker;
  pending: Map<number, Pending>;
}

export interface PoolStats {
  readonly workers: number;
  readonly pending: number;
  readonly completed: number;
  readonly busyMs: number;
  readonly restarts: number;
}

const WORKER_URL = new URL('./inference-worker.js', import.meta.url);

export class InferencePool {
  readonly #init: WorkerInit;
  readonly #lanes: Lane[] = [];
  #nextId = 1;
  #closed = false;
  #completed = 0;
  #busyMs = 0;
  #restarts = 0;

  private constructor(init: WorkerInit) {
    this.#init = init;
  }

  static defaultWorkerCount(): number {
    return Math.max(1, availableParallelism() - 1);
  }

  /** Starts the workers and waits until each has loaded and verified its models. */
  static async create(options: PoolOptions): Promise<InferencePool> {
    const pool = new InferencePool({ manifestPath: options.manifestPath, intraOpThreads: options.intraOpThreads ?? 1 });
    const count = options.workers ?? InferencePool.defaultWorkerCount();
    if (!Number.isInteger(count) || count < 1) throw new TypeError(`workers must be a whole number ≥ 1, got ${count}`);
    try {
      for (let i = 0; i < count; i++) pool.#lanes.push(await pool.#startLane());
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  run<R extends InferenceRequest>(request: R, transfer: ArrayBuffer[] = []): Promise<InferenceResult<R>> {
    if (this.#closed) return Promise.reject(new AffectStreamError('closed', 'the inference pool is closed'));
    if (this.#lanes.length === 0) return Promise.reject(new AffectStreamError('worker_failed', 'no inference worker is running', { retryable: true }));
    const lane = this.#lanes.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      // A worker with work pending keeps the process alive; an idle one does not.
      if (lane.pending.size === 0) lane.worker.ref();
      lane.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      lane.worker.postMessage({ id, request }, transfer);
    });
  }

  stats(): PoolStats {
    return {
      workers: this.#lanes.length,
      pending: this.#lanes.reduce((n, lane) => n + lane.pending.size, 0),
      completed: this.#completed,
      busyMs: this.#busyMs,
      restarts: this.#restarts,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const lanes = this.#lanes.splice(0);
    for (const lane of lanes) this.#rejectAll(lane, new AffectStreamError('closed', 'the inference pool was closed'));
    await Promise.all(lanes.map((lane) => lane.worker.terminate()));
  }

  #startLane(): Promise<Lane> {
    const worker = new Worker(WORKER_URL, { workerData: this.#init });
    const lane: Lane = { worker, pending: new Map() };
    return new Promise((resolve, reject) => {
      const onEarlyExit = (code: number) => reject(new AffectStreamError('worker_failed', `inference worker exited with code ${code} while loading models`));
      worker.once('error', reject);
      worker.once('exit', onEarlyExit);
      worker.once('message', (ready: WorkerReady) => {
        worker.off('error', reject);
        worker.off('exit', onEarlyExit);
        if (!ready.ready) {
          void worker.terminate();
          reject(new AffectStreamError(ready.code, ready.message));
          return;
        }
        worker.on('message', (reply: WorkerReply) => this.#settle(lane, reply));
        worker.on('error', (err) => this.#onWorkerDeath(lane, err));
        worker.on('exit', (code) => this.#onWorkerDeath(lane, new Error(`exit code ${code}`)));
        // An idle pool must not keep the process alive.
        worker.unref();
        resolve(lane);
      });
    });
  }

  #settle(lane: Lane, reply: WorkerReply): void {
    const pending = lane.pending.get(reply.id);
    if (!pending) return;
    lane.pending.delete(reply.id);
    if (lane.pending.size === 0) lane.worker.unref();
    if (reply.ok) {
      this.#completed += 1;
      this.#busyMs += reply.busyMs;
      pending.resolve(reply.result);
    } else {
      pending.reject(new AffectStreamError(reply.code, reply.message));
    }
  }

  #onWorkerDeath(lane: Lane, cause: Error): void {
    const index = this.#lanes.indexOf(lane);
    if (index < 0 || this.#closed) return;
    this.#lanes.splice(index, 1);
    this.#rejectAll(lane, new AffectStreamError('worker_failed', `inference worker died: ${cause.message}`, { retryable: true }));
    this.#restarts += 1;
    this.#startLane().then(
      (replacement) => (this.#closed ? void replacement.worker.terminate() : this.#lanes.push(replacement)),
      () => undefined,
    );
  }

  #rejectAll(lane: Lane, error: AffectStreamError): void {
    for (const pending of lane.pending.values()) pending.reject(error);
    lane.pending.clear();
  }
}
