/**
 * One client's position in the replay log: per stream, the next feed seq to consider. `take()` hands
 * out the next message to send (notices first, then log entries of the selected streams and types in
 * publication order); the feed calls it only while the client's socket has room, so a slow client
 * simply lags behind in the shared log. `backlog()` says how far behind live it is; `skipToHead()`
 * drops that backlog and records a `lagged` notice. Pure: no I/O, no timers.
 */
import type { EventType, GapMessage, LaggedMessage } from './feed-protocol.js';
import type { LogEntry, ReplayLog } from './replay-log.js';

export interface Selection {
  /** `*`: every stream within the scope, including later ones. */
  readonly streams: '*' | ReadonlySet<string>;
  readonly types: ReadonlySet<EventType>;
  /** Streams the client's token may read; null: all. */
  readonly scope: ReadonlySet<string> | null;
}

export interface StartPoint {
  /** Streams not in `resume`: replay what the log holds (`all`) or start at the next message (`none`). */
  readonly replay: 'all' | 'none';
  /** Last seq the client has, per stream. */
  readonly resume: Readonly<Record<string, number>>;
}

export type CursorItem = { readonly kind: 'entry'; readonly entry: LogEntry } | { readonly kind: 'notice'; readonly message: GapMessage | LaggedMessage };

export class FeedCursor {
  readonly #log: ReplayLog;
  readonly #selection: Selection;
  /** Next seq to consider, per selected stream seen so far. */
  readonly #next = new Map<string, number>();
  /** First seq published after the subscription, per stream: what came before is replay, not backlog. */
  readonly #liveFrom = new Map<string, number>();
  readonly #notices: Array<GapMessage | LaggedMessage> = [];
  /** Messages this cursor skipped because the client was too slow, in all. */
  #droppedTotal = 0;
  #lagged: { dropped: number; streams: Record<string, { dropped: number; from: number; to: number }> } | undefined;

  constructor(log: ReplayLog, selection: Selection, start: StartPoint) {
    this.#log = log;
    this.#selection = selection;
    for (const stream of log.streams()) {
      if (!this.selects(stream)) continue;
      const oldest = log.oldestSeq(stream);
      const head = log.nextSeq(stream);
      this.#liveFrom.set(stream, head);
      const last = start.resume[stream];
      if (last !== undefined) {
        const want = Math.min(last + 1, head);
        if (want < oldest) this.#notices.push({ type: 'gap', stream, from: want, to: oldest - 1 });
        this.#next.set(stream, Math.max(want, oldest));
      } else {
        this.#next.set(stream, start.replay === 'all' ? oldest : head);
      }
    }
  }

  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  selects(stream: string): boolean {
    if (this.#selection.scope && !this.#selection.scope.has(stream)) return false;
    return this.#selection.streams === '*' || this.#selection.streams.has(stream);
  }

  /** The next thing to send, or undefined when the client is caught up. */
  take(): CursorItem | undefined {
    if (this.#lagged) {
      const { dropped, streams } = this.#lagged;
      this.#lagged = undefined;
      return { kind: 'notice', message: { type: 'lagged', dropped, streams } };
    }
    const notice = this.#notices.shift();
    if (notice) return { kind: 'notice', message: notice };
    for (;;) {
      let best: LogEntry | undefined;
      for (const stream of this.#log.streamNames()) {
        if (!this.selects(stream)) continue;
        const next = this.#nextOf(stream);
        if (next >= this.#log.nextSeq(stream)) continue;
        const oldest = this.#log.oldestSeq(stream);
        if (next < oldest) {
          // The log moved on before this client got there: what it lost is a lag, said as one.
          this.#recordLag(stream, next, oldest - 1, oldest - next);
          this.#next.set(stream, oldest);
          return this.take();
        }
        const entry = this.#log.get(stream, next)!;
        if (!best || entry.order < best.order) best = entry;
      }
      if (!best) return undefined;
      this.#next.set(best.stream, best.seq + 1);
      if (this.#selection.types.has(best.type as EventType)) return { kind: 'entry', entry: best };
    }
  }

  /** Messages of the selected streams published since the subscription and not yet handed out. */
  backlog(): number {
    let n = 0;
    for (const stream of this.#log.streamNames()) {
      if (!this.selects(stream)) continue;
      const from = Math.max(this.#nextOf(stream), this.#liveFrom.get(stream) ?? 0);
      n += Math.max(0, this.#log.nextSeq(stream) - from);
    }
    return n;
  }

  /** Drops everything not yet handed out (a client too slow for live) and queues a `lagged` notice. */
  skipToHead(): void {
    for (const stream of this.#log.streams()) {
      if (!this.selects(stream)) continue;
      const next = this.#nextOf(stream);
      const head = this.#log.nextSeq(stream);
      if (next >= head) continue;
      let dropped = 0;
      for (let seq = next; seq < head; seq += 1) {
        const entry = this.#log.get(stream, seq);
        // Entries already gone from the log are counted whatever their type: nothing says it any more.
        if (!entry || this.#selection.types.has(entry.type as EventType)) dropped += 1;
      }
      this.#next.set(stream, head);
      if (dropped > 0) this.#recordLag(stream, next, head - 1, dropped);
    }
  }

  #nextOf(stream: string): number {
    let next = this.#next.get(stream);
    if (next === undefined) {
      // A stream that appeared after the subscription: all of it is new to this client (what the
      // log already let go of before the client got there is reported as lagged).
      next = 0;
      this.#next.set(stream, next);
      this.#liveFrom.set(stream, next);
    }
    return next;
  }

  #recordLag(stream: string, from: number, to: number, dropped: number): void {
    this.#lagged ??= { dropped: 0, streams: {} };
    const prior = this.#lagged.streams[stream];
    this.#lagged.streams[stream] = prior ? { dropped: prior.dropped + dropped, from: prior.from, to } : { dropped, from, to };
    this.#lagged.dropped += dropped;
    this.#droppedTotal += dropped;
  }
}
