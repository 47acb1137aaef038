/**
 * Every stream a server runs, whoever started it (`--source`, the config file, the control API, a
 * WHIP publisher, the WHEP bot): one place that owns each stream's subscription, follows its state
 * from its events and counts what went in and out, so streams can be listed and stopped while the
 * server runs. Stopping a stream unsubscribes it, which stops its GStreamer pipeline or ends its
 * WebRTC session; the other streams never notice.
 */
import { Observable, type Subscription } from 'rxjs';
import { AffectStreamError, toAffectStreamError, type ErrorCode } from '../core/errors.js';
import type { StreamEvent } from '../core/events.js';

export type StreamOrigin = 'source' | 'config' | 'api' | 'whip' | 'whep';
export type StreamState = 'starting' | 'live' | 'reconnecting' | 'ended' | 'failed';

export interface StreamMeta {
  readonly id: string;
  readonly origin: StreamOrigin;
  /** What the stream reads, with any password masked. */
  readonly source: string;
}

/** One stream as the control API lists it. */
export interface StreamInfo {
  readonly id: string;
  readonly origin: StreamOrigin;
  readonly source: string;
  readonly state: StreamState;
  readonly started_at: string;
  readonly uptime_s: number;
  /** Analysis frames per second coming in (analysed + dropped), over the last windows; 0 unless live. */
  readonly fps_in: number;
  readonly windows_out: number;
  /** Analysis frames dropped because inference was behind (sum of `dropped_frames`). */
  readonly drops: number;
  readonly reconnects: number;
  readonly tracks: { readonly video: boolean; readonly audio: boolean } | null;
  readonly last_error: { readonly code: ErrorCode; readonly message: string; readonly at: string } | null;
}

export interface RegistryOptions {
  /** Ended and failed streams kept for listing until deleted; the oldest go first beyond this. */
  readonly maxFinished: number;
}

/** Windows whose frames make up `fps_in`. */
const FPS_WINDOWS = 5;

class Entry {
  readonly meta: StreamMeta;
  readonly startedAtMs = Date.now();
  state: StreamState = 'starting';
  endedAtMs: number | undefined;
  windowsOut = 0;
  drops = 0;
  reconnects = 0;
  tracks: StreamInfo['tracks'] = null;
  lastError: StreamInfo['last_error'] = null;
  recent: Array<{ frames: number; seconds: number }> = [];
  /** Stops the stream and ends its events with `status ended` and `reason`. */
  stop: (reason: string) => void = () => {};

  constructor(meta: StreamMeta) {
    this.meta = meta;
  }

  get finished(): boolean {
    return this.state === 'ended' || this.state === 'failed';
  }

  observe(event: StreamEvent): void {
    if (event.type === 'affect') {
      this.windowsOut += 1;
      this.drops += event.dropped_frames;
      this.recent.push({ frames: event.frames + event.dropped_frames, seconds: event.end - event.start });
      if (this.recent.length > FPS_WINDOWS) this.recent.shift();
      if (this.state === 'starting') this.state = 'live';
    } else if (event.type === 'error') {
      this.lastError = { code: event.code, message: event.message, at: new Date().toISOString() };
    } else {
      if (event.tracks) this.tracks = event.tracks;
      if (event.state === 'started' || event.state === 'resumed') this.state = 'live';
      else if (event.state === 'reconnecting') {
        if (this.state !== 'reconnecting') this.reconnects += 1;
        this.state = 'reconnecting';
        if (event.error) this.lastError = { ...event.error, at: new Date().toISOString() };
      } else this.finish(event.state);
    }
  }

  finish(state: 'ended' | 'failed'): void {
    if (this.finished) return;
    this.state = state;
    this.endedAtMs = Date.now();
  }

  info(): StreamInfo {
    const seconds = this.recent.reduce((s, r) => s + r.seconds, 0);
    const frames = this.recent.reduce((s, r) => s + r.frames, 0);
    return {
      id: this.meta.id,
      origin: this.meta.origin,
      source: this.meta.source,
      state: this.state,
      started_at: new Date(this.startedAtMs).toISOString(),
      uptime_s: Math.round(((this.endedAtMs ?? Date.now()) - this.startedAtMs) / 100) / 10,
      fps_in: this.state === 'live' && seconds > 0 ? Math.round((frames / seconds) * 10) / 10 : 0,
      windows_out: this.windowsOut,
      drops: this.drops,
      reconnects: this.reconnects,
      tracks: this.tracks,
      last_error: this.lastError,
    };
  }
}

export class StreamRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #publish: (event: StreamEvent) => void;
  readonly #options: RegistryOptions;

  constructor(publish: (event: StreamEvent) => void, options: Partial<RegistryOptions> = {}) {
    this.#publish = publish;
    this.#options = { maxFinished: 100, ...options };
  }

  /** Streams that have not ended. */
  get liveCount(): number {
    return [...this.#entries.values()].filter((e) => !e.finished).length;
  }

  /** True when `id` names a stream that has not ended (a finished one may be replaced). */
  isLive(id: string): boolean {
    const entry = this.#entries.get(id);
    return entry !== undefined && !entry.finished;
  }

  /** `base`, or `base-2`, `base-3`…: the first id no live stream has. */
  freeId(base: string): string {
    if (!this.isLive(base)) return base;
    for (let n = 2; ; n++) if (!this.isLive(`${base}-${n}`)) return `${base}-${n}`;
  }

  /** Runs a stream the server owns: subscribes `events$` and publishes its events. */
  start(meta: StreamMeta, events$: Observable<StreamEvent>): void {
    this.track(meta, events$).subscribe({
      next: (event) => this.#publish(event),
      error: (err: unknown) => {
        const e = toAffectStreamError(err);
        this.#publish({ type: 'error', stream: meta.id, code: e.code, message: e.message });
        this.#publish({ type: 'status', stream: meta.id, state: 'failed', windows: 0 });
      },
    });
  }

  /**
   * Lists and counts a stream whose subscription someone else owns (a WHIP session): the returned
   * events are `events$`'s, and `remove` completes them after a `status ended`.
   */
  track(meta: StreamMeta, events$: Observable<StreamEvent>): Observable<StreamEvent> {
    return new Observable<StreamEvent>((subscriber) => {
      if (this.isLive(meta.id)) {
        subscriber.error(new AffectStreamError('invalid_argument', `stream id ${meta.id} is already in use`));
        return;
      }
      const entry = new Entry(meta);
      this.#entries.set(meta.id, entry);
      this.#pruneFinished();
      let inner: Subscription | undefined;
      entry.stop = (reason) => {
        inner?.unsubscribe();
        if (subscriber.closed) return;
        const ended: StreamEvent = { type: 'status', stream: meta.id, state: 'ended', windows: entry.windowsOut, reason };
        entry.observe(ended);
        subscriber.next(ended);
        subscriber.complete();
      };
      inner = events$.subscribe({
        next: (event) => {
          entry.observe(event);
          subscriber.next(event);
        },
        error: (err: unknown) => {
          const e = toAffectStreamError(err);
          entry.lastError = { code: e.code, message: e.message, at: new Date().toISOString() };
          entry.finish('failed');
          subscriber.error(err);
        },
        complete: () => {
          entry.finish(entry.state === 'failed' ? 'failed' : 'ended');
          subscriber.complete();
        },
      });
      return () => {
        inner?.unsubscribe();
        // Unsubscribed from outside (a WHIP session torn down): the stream is over all the same.
        entry.finish(entry.state === 'failed' ? 'failed' : 'ended');
      };
    });
  }

  list(): StreamInfo[] {
    return [...this.#entries.values()].map((e) => e.info());
  }

  get(id: string): StreamInfo | undefined {
    return this.#entries.get(id)?.info();
  }

  /** Stops the stream if it runs and forgets it; its last figures, or undefined for an unknown id. */
  remove(id: string): StreamInfo | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    entry.stop('deleted');
    this.#entries.delete(id);
    return entry.info();
  }

  /** Stops every stream (server shutdown). */
  closeAll(): void {
    for (const entry of this.#entries.values()) entry.stop('shutdown');
  }

  #pruneFinished(): void {
    const finished = [...this.#entries.values()].filter((e) => e.finished);
    for (const entry of finished.slice(0, Math.max(0, finished.length - this.#options.maxFinished))) this.#entries.delete(entry.meta.id);
  }
}
