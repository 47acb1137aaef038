/**
 * Prometheus metrics at /metrics (prom-client). Per-stream figures are counted from the events
 * themselves as they are published (windows, analysis frames in/analysed/dropped, latency, errors), so
 * the pipeline needs no hooks; the inference engine's and the feed's own counters are read at scrape
 * time. Process CPU and memory come from prom-client's default collectors. A stream's series are
 * removed `forgetAfterMs` after it ended, so streams added and removed through the API over weeks do
 * not grow the scrape without bound.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineStats } from '../pipeline/inference-engine.js';
import type { FeedStats } from './event-feed.js';
import type { StreamEvent } from '../core/events.js';

export interface MetricsSources {
  readonly engine: () => EngineStats;
  readonly feed: () => FeedStats;
}

export interface MetricsOptions {
  readonly forgetAfterMs: number;
  /** Add prom-client's process and Node.js metrics (CPU, RSS, event loop lag, GC). */
  readonly processMetrics: boolean;
}

export const DEFAULT_METRICS_OPTIONS: Readonly<MetricsOptions> = Object.freeze({ forgetAfterMs: 10 * 60_000, processMetrics: true });

const STATES = ['live', 'reconnecting', 'ended', 'failed'] as const;
type State = (typeof STATES)[number];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #options: MetricsOptions;
  readonly #state = new Map<string, State>();
  readonly #forget = new Map<string, NodeJS.Timeout>();
  readonly #errorCodes = new Map<string, Set<string>>();
  readonly #windows: Counter<'stream'>;
  readonly #framesIn: Counter<'stream'>;
  readonly #framesAnalysed: Counter<'stream'>;
  readonly #framesDropped: Counter<'stream'>;
  readonly #errors: Counter<'stream' | 'code'>;
  readonly #latency: Histogram<'stream'>;

  constructor(sources: MetricsSources, options: Partial<MetricsOptions> = {}) {
    this.#options = { ...DEFAULT_METRICS_OPTIONS, ...options };
    const registers = [this.registry];
    const states = this.#state;
    new Gauge({
      name: 'affectstream_streams',
      help: 'Streams by state (from their status events).',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const s of STATES) this.set({ state: s }, 0);
        for (const s of states.values()) this.inc({ state: s });
      },
    });
    this.#windows = new Counter({ name: 'affectstream_windows_total', help: 'Windows analysed (affect events).', labelNames: ['stream'], registers });
    this.#framesIn = new Counter({ name: 'affectstream_frames_in_total', help: 'Analysis frames that reached the pipeline (analysed + dropped).', labelNames: ['stream'], registers });
    this.#framesAnalysed = new Counter({ name: 'affectstream_frames_analysed_total', help: 'Analysis frames analysed.', labelNames: ['stream'], registers });
    this.#framesDropped = new Counter({ name: 'affectstream_frames_dropped_total', help: 'Analysis frames dropped because inference was behind real time.', labelNames: ['stream'], registers });
    this.#errors = new Counter({ name: 'affectstream_errors_total', help: 'Error events, by stream and code.', labelNames: ['stream', 'code'], registers });
    this.#latency = new Histogram({
      name: 'affectstream_event_latency_seconds',
      help: 'From the arrival of the media that completed a window to its event (latency_ms).',
      labelNames: ['stream'],
      buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers,
    });
    this.#engineMetrics(sources.engine, registers);
    this.#feedMetrics(sources.feed, registers);
    if (this.#options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one published event. */
  observe(event: StreamEvent): void {
    const stream = event.stream;
    if (event.type === 'affect') {
      this.#windows.inc({ stream });
      this.#framesAnalysed.inc({ stream }, event.frames);
      this.#framesDropped.inc({ stream }, event.dropped_frames);
      this.#framesIn.inc({ stream }, event.frames + event.dropped_frames);
      this.#latency.observe({ stream }, event.latency_ms / 1000);
      if (!this.#state.has(stream)) this.#setState(stream, 'live');
    } else if (event.type === 'error') {
      this.#errors.inc({ stream, code: event.code });
      // Kept so that the stream's error series can be removed with it (remove() needs every label).
      const codes = this.#errorCodes.get(stream) ?? new Set<string>();
      this.#errorCodes.set(stream, codes.add(event.code));
    } else if (event.state === 'started' || event.state === 'resumed') this.#setState(stream, 'live');
    else this.#setState(stream, event.state);
  }

  /** The Prometheus text exposition. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  close(): void {
    for (const timer of this.#forget.values()) clearTimeout(timer);
    this.#forget.clear();
  }

  #setState(stream: string, state: State): void {
    this.#state.set(stream, state);
    clearTimeout(this.#forget.get(stream));
    this.#forget.delete(stream);
    if (state !== 'ended' && state !== 'failed') return;
    const timer = setTimeout(() => {
      this.#forget.delete(stream);
      this.#state.delete(stream);
      for (const metric of [this.#windows, this.#framesIn, this.#framesAnalysed, this.#framesDropped, this.#latency]) metric.remove({ stream });
      for (const code of this.#errorCodes.get(stream) ?? []) this.#errors.remove({ stream, code });
      this.#errorCodes.delete(stream);
    }, this.#options.forgetAfterMs);
    timer.unref();
    this.#forget.set(stream, timer);
  }

  #engineMetrics(engine: () => EngineStats, registers: Registry[]): void {
    // The engine keeps running totals; counters are set to them at each scrape.
    const perModel = (name: string, help: string, pick: (s: EngineStats['schedulers'][number]) => number, type: 'counter' | 'gauge') => {
      const collect = function (this: Counter<'model'> | Gauge<'model'>) {
        this.reset();
        for (const s of engine().schedulers) (this as Gauge<'model'>).inc({ model: s.name }, pick(s));
      };
      if (type === 'counter') new Counter({ name, help, labelNames: ['model'], registers, collect });
      else new Gauge({ name, help, labelNames: ['model'], registers, collect });
    };
    perModel('affectstream_inference_batches_total', 'Inference batches run, per model (batch size = items / batches).', (s) => s.batches, 'counter');
    perModel('affectstream_inference_items_total', 'Inference requests run in batches, per model.', (s) => s.items, 'counter');
    perModel('affectstream_inference_failed_batches_total', 'Inference batches that failed, per model.', (s) => s.failedBatches, 'counter');
    perModel('affectstream_inference_queue_wait_seconds_total', 'Summed time requests waited for their batch, per model.', (s) => s.queueWaitMs / 1000, 'counter');
    perModel('affectstream_inference_mean_batch_size', 'Mean batch size since start, per model.', (s) => s.meanBatch, 'gauge');
    perModel('affectstream_inference_queued', 'Requests waiting for a batch, per model.', (s) => s.queued, 'gauge');
    perModel('affectstream_inference_in_flight', 'Batches running, per model.', (s) => s.inFlight, 'gauge');
    perModel('affectstream_inference_oldest_wait_seconds', 'Age of the oldest waiting request, per model.', (s) => s.oldestWaitMs / 1000, 'gauge');
    const pool = (name: string, help: string, pick: (s: EngineStats) => number, type: 'counter' | 'gauge') => {
      const collect = function (this: Counter | Gauge) {
        this.reset();
        (this as Gauge).inc(pick(engine()));
      };
      if (type === 'counter') new Counter({ name, help, registers, collect });
      else new Gauge({ name, help, registers, collect });
    };
    pool('affectstream_inference_busy_seconds_total', 'Time the inference workers spent running batches.', (s) => s.pool.busyMs / 1000, 'counter');
    pool('affectstream_inference_batches_completed_total', 'Batches the worker pool completed (all models).', (s) => s.pool.completed, 'counter');
    pool('affectstream_inference_worker_restarts_total', 'Inference workers replaced after dying.', (s) => s.pool.restarts, 'counter');
    pool('affectstream_inference_workers', 'Inference worker threads.', (s) => s.pool.workers, 'gauge');
  }

  #feedMetrics(feed: () => FeedStats, registers: Registry[]): void {
    const one = (name: string, help: string, pick: (s: FeedStats) => number, type: 'counter' | 'gauge') => {
      const collect = function (this: Counter | Gauge) {
        this.reset();
        (this as Gauge).inc(pick(feed()));
      };
      if (type === 'counter') new Counter({ name, help, registers, collect });
      else new Gauge({ name, help, registers, collect });
    };
    one('affectstream_feed_clients', 'WebSocket clients of /v1/events.', (s) => s.clients, 'gauge');
    one('affectstream_feed_messages_sent_total', 'Messages handed to feed clients (events and notices).', (s) => s.messagesSent, 'counter');
    one('affectstream_feed_lagged_dropped_total', 'Events skipped for clients that fell behind (announced in lagged notices).', (s) => s.laggedDropped, 'counter');
    one('affectstream_feed_lagged_notices_total', 'Lagged notices sent.', (s) => s.laggedNotices, 'counter');
    one('affectstream_feed_slow_disconnects_total', 'Clients disconnected for being too slow.', (s) => s.slowDisconnects, 'counter');
    one('affectstream_feed_idle_disconnects_total', 'Clients disconnected after the idle timeout.', (s) => s.idleDisconnects, 'counter');
    one('affectstream_feed_client_errors_total', 'Client messages answered with an error.', (s) => s.clientErrors, 'counter');
    one('affectstream_feed_replay_messages', 'Messages held in the replay buffer.', (s) => s.replay.messages, 'gauge');
    one('affectstream_feed_replay_bytes', 'Bytes held in the replay buffer.', (s) => s.replay.bytes, 'gauge');
    one('affectstream_feed_buffered_bytes', 'Bytes written to client sockets and not yet sent.', (s) => s.bufferedBytes, 'gauge');
  }
}
