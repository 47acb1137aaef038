/**
 * A pool of inference workers shared by every stream. Requests go to the least-loaded worker; each
 * pending request is settled exactly once: by its reply, or by rejection when its worker dies or the
 * pool closes. A worker that dies is replaced, so one failure costs only the requests it held.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AffectStreamError } from '../core/errors.js';
import { logger } from '../core/logger.js';
import type { Device, InferenceRequest, InferenceResult, WorkerInit, WorkerReady, WorkerReply } from './inference-protocol.js';

export interface PoolOptions {
  readonly manifestPath: string;
  /** Number of worker threads; default from planPool(). */
  readonly workers?: number;
  /** ONNX Runtime intra-op threads per worker; default from planPool(). */
  readonly intraOpThreads?: number;
  /** Default cpu. */
  readonly device?: Device;
  /** Fail instead of falling back to the CPU when `device` cannot load. */
  readonly deviceStrict?: boolean;
}

export interface PoolPlan {
  readonly workers: number;
  readonly intraOpThreads: number;
}

/**
 * How many workers, with how many ONNX Runtime threads each, suit `cores` cores. On the CPU, models
 * and decoding share the cores: up to 4 cores keep one for decoding and the event loop and give the
 * rest to one-thread workers; bigger machines give half their cores to inference (a live stream's
 * decoding costs about as much as its analysis), as at most 8 workers of 1–2 threads, so that
 * workers × threads never exceeds the cores inference gets. On a GPU two workers keep it busy: one
 * prepares a batch while the other's runs.
 */
export function planPool(cores: number, device: Device): PoolPlan {
  if (device !== 'cpu') return { workers: 2, intraOpThreads: 1 };
  const forInference = cores <= 4 ? Math.max(1, cores - 1) : Math.floor(cores / 2);
  const workers = Math.min(8, forInference);
  return { workers, intraOpThreads: Math.max(1, Math.min(2, Math.floor(forInference / workers))) };
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
  #device: Device;
  #fallbackReported = false;

  private constructor(init: WorkerInit) {
    this.#init = init;
    this.#device = init.device;
  }

  static defaultPlan(device: Device = 'cpu'): PoolPlan {
    return planPool(availableParallelism(), device);
  }

  /** Starts the workers and waits until each has loaded and verified its models. */
  static async create(options: PoolOptions): Promise<InferencePool> {
    const device = options.device ?? 'cpu';
    const plan = InferencePool.defaultPlan(device);
    const pool = new InferencePool({ manifestPath: options.manifestPath, intraOpThreads: options.intraOpThreads ?? plan.intraOpThreads, device, deviceStrict: options.deviceStrict ?? false });
    const count = options.workers ?? plan.workers;
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
    return this.#runOn(this.#lanes.reduce((a, b) => (b.pending.size < a.pending.size ? b : a)), request, transfer);
  }

  #runOn<R extends InferenceRequest>(lane: Lane, request: R, transfer: ArrayBuffer[] = []): Promise<InferenceResult<R>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      // A worker with work pending keeps the process alive; an idle one does not.
      if (lane.pending.size === 0) lane.worker.ref();
      lane.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      lane.worker.postMessage({ id, request }, transfer);
    });
  }

  /** Number of workers: the most batches that can run at once. */
  get size(): number {
    return this.#lanes.length;
  }

  /** Where the models actually run: the requested device, or cpu after a fallback. */
  get device(): Device {
    return this.#device;
  }

  /** CPU time the workers' threads have used, ms (inference runs on them). */
  async cpuTimeMs(): Promise<number> {
    const times = await Promise.all(this.#lanes.map((lane) => this.#runOn(lane, { type: 'cpu-time' })));
    return times.reduce((a, b) => a + b, 0);
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
        if (ready.fallbackReason && !this.#fallbackReported) {
          // Said once for the pool, not once per worker.
          this.#fallbackReported = true;
          logger.warn({ requested: this.#init.device, using: ready.device }, `${ready.fallbackReason ?? 'device unavailable'}; running on the CPU instead (--device-strict refuses to start)`);
          this.#device = ready.device;
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
