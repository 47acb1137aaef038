/**
 * A typed client of the event feed (/v1/events, docs/feed-protocol.md) for Node and browsers:
 *
 *   const feed = new AffectFeedClient('ws://host:8080/v1/events', { token, streams: ['cam1'], WebSocket });
 *   for await (const event of feed) console.log(event.stream, event.feed.seq, event.type);
 *
 * It subscribes, keeps each stream's last `feed.seq`, and when the connection drops it reconnects
 * (exponential backoff) and resumes from those seqs, so the events in between arrive exactly once
 * while the server's replay buffer still holds them (a `gap` notice says when it no longer does). A
 * heartbeat (`ping` → `pong`) detects a dead connection that never closes. This module has no runtime
 * imports: the dashboard loads the compiled file as is. In Node, pass `WebSocket` from the `ws`
 * package (Node 22's global WebSocket works too).
 */
import type { AffectEvent, ErrorEvent, StatusEvent } from '../core/events.js';
import type { EventType, FeedErrorMessage, FeedMeta, GapMessage, HelloMessage, LaggedMessage } from '../sink/feed-protocol.js';

export type FeedEvent = (AffectEvent | StatusEvent | ErrorEvent) & { readonly feed: FeedMeta };
export type FeedNotice = GapMessage | LaggedMessage | FeedErrorMessage;

/** The part of the WebSocket API the client uses (browsers', `ws`'s and undici's all have it). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { readonly code: number; readonly reason: string }) => void): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: { headers?: Record<string, string> }) => WebSocketLike;

export interface FeedSubscription {
  /** `*` (default): every stream the token may read; or a list. */
  readonly streams?: '*' | readonly string[];
  /** Event types; all when absent. */
  readonly types?: readonly EventType[];
  /** `all` (default): first the events the server still holds; `none`: only events from now on. */
  readonly replay?: 'all' | 'none';
}

export interface FeedClientOptions extends FeedSubscription {
  readonly token?: string;
  /** Default: the global WebSocket. With another constructor (e.g. `ws`), the token goes in a header. */
  readonly WebSocket?: WebSocketConstructor;
  /** Reconnect after a drop (default true), waiting minDelayMs, doubling up to maxDelayMs. */
  readonly reconnect?: boolean;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Heartbeat: a ping every pingIntervalMs; no answer within pongTimeoutMs: reconnect. */
  readonly pingIntervalMs?: number;
  readonly pongTimeoutMs?: number;
  /** Events held for a slow iterator; beyond it the oldest go and `droppedLocally` counts them. */
  readonly maxBuffered?: number;
  readonly onNotice?: (notice: FeedNotice) => void;
  readonly onState?: (state: 'connecting' | 'open' | 'closed', detail?: { code?: number; reason?: string }) => void;
}

type Waiter = { resolve: (r: IteratorResult<FeedEvent>) => void; reject: (e: unknown) => void };

export class AffectFeedClient implements AsyncIterable<FeedEvent> {
  readonly #url: string;
  readonly #options: FeedClientOptions;
  #subscription: FeedSubscription;
  readonly #positions = new Map<string, number>();
  #instance: string | undefined;
  #socket: WebSocketLike | undefined;
  #closed = false;
  #failure: Error | undefined;
  #attempt = 0;
  #timers: Array<ReturnType<typeof setTimeout>> = [];
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #lastHeard = 0;
  /** After a re-subscription, messages of the old one still in flight are ignored until `subscribed`. */
  #awaiting: string | undefined;
  #requests = 0;
  readonly #buffer: FeedEvent[] = [];
  readonly #waiters: Waiter[] = [];
  #droppedLocally = 0;

  constructor(url: string, options: FeedClientOptions = {}) {
    this.#url = url;
    this.#options = options;
    this.#subscription = { streams: options.streams ?? '*', types: options.types, replay: options.replay ?? 'all' };
    this.#connect();
  }

  /** The last `feed.seq` received per stream (what a reconnect resumes from). */
  get positions(): ReadonlyMap<string, number> {
    return this.#positions;
  }

  get droppedLocally(): number {
    return this.#droppedLocally;
  }

  get connected(): boolean {
    return this.#socket?.readyState === 1 && this.#awaiting === undefined;
  }

  /** Replaces the subscription; the streams it keeps go on from where they are. */
  subscribe(subscription: FeedSubscription): void {
    this.#subscription = { ...this.#subscription, ...subscription };
    if (this.#socket?.readyState === 1) this.#sendSubscribe();
  }

  /** Ends the connection and the iteration. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimers();
    this.#socket?.close(1000, 'client closed');
    for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
    this.#options.onState?.('closed');
  }

  [Symbol.asyncIterator](): AsyncIterator<FeedEvent> {
    return {
      next: () => {
        const value = this.#buffer.shift();
        if (value) return Promise.resolve({ value, done: false });
        if (this.#failure) return Promise.reject(this.#failure);
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  #connect(): void {
    if (this.#closed) return;
    const Ctor = this.#options.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) return this.#fail(new Error('no WebSocket implementation: pass options.WebSocket (e.g. from the ws package)'));
    const url = new URL(this.#url);
    // No subscription from the URL: the client sends its own, with resume positions, once open.
    url.searchParams.set('streams', '');
    const header = this.#options.token !== undefined && this.#options.WebSocket !== undefined;
    if (this.#options.token !== undefined && !header) url.searchParams.set('token', this.#options.token);
    this.#options.onState?.('connecting');
    let socket: WebSocketLike;
    try {
      socket = header ? new Ctor(url.href, undefined, { headers: { authorization: `Bearer ${this.#options.token}` } }) : new Ctor(url.href);
    } catch (err) {
      return this.#fail(err instanceof Error ? err : new Error(String(err)));
    }
    this.#socket = socket;
    socket.addEventListener('open', () => {
      this.#lastHeard = Date.now();
      this.#startHeartbeat(socket);
    });
    socket.addEventListener('message', (event) => {
      this.#lastHeard = Date.now();
      if (typeof event.data === 'string') this.#onMessage(event.data);
    });
    socket.addEventListener('close', (event) => this.#gone(socket, event.code, event.reason));
    socket.addEventListener('error', () => {
      // 'close' follows and decides about reconnecting.
    });
  }

  /** The socket is finished (closed, or dead by heartbeat): reconnect unless the client is closed. */
  #gone(socket: WebSocketLike, code?: number, reason?: string): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    this.#awaiting = undefined;
    this.#stopTimers();
    if (this.#closed) return;
    this.#options.onState?.('closed', { code, reason });
    if (this.#options.reconnect === false) return this.close();
    const min = this.#options.minDelayMs ?? 250;
    const delay = Math.min(this.#options.maxDelayMs ?? 10_000, min * 2 ** this.#attempt);
    this.#attempt += 1;
    this.#timers.push(setTimeout(() => this.#connect(), delay));
  }

  #onMessage(text: string): void {
    let message: { type: string; [k: string]: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    switch (message.type) {
      case 'hello':
        return this.#onHello(message as unknown as HelloMessage);
      case 'subscribed':
        if (message.id === this.#awaiting) this.#awaiting = undefined;
        return;
      case 'pong':
        return;
      case 'gap': {
        const gap = message as unknown as GapMessage;
        if (this.#awaiting === undefined) this.#advance(gap.stream, gap.to);
        return this.#options.onNotice?.(gap);
      }
      case 'lagged':
        if (this.#awaiting === undefined) this.#options.onNotice?.(message as unknown as LaggedMessage);
        return;
      case 'error':
        if (!('stream' in message)) return this.#options.onNotice?.(message as unknown as FeedErrorMessage);
    }
    if (this.#awaiting !== undefined) return;
    const event = message as unknown as FeedEvent;
    if (!event.feed || typeof event.stream !== 'string') return;
    // Replays overlap what was already received after a resume: each seq is delivered once.
    const last = this.#positions.get(event.stream);
    if (last !== undefined && event.feed.seq <= last) return;
    this.#positions.set(event.stream, event.feed.seq);
    this.#deliver(event);
  }

  #onHello(hello: HelloMessage): void {
    this.#attempt = 0;
    if (this.#instance !== undefined && this.#instance !== hello.instance) this.#positions.clear();
    const first = this.#instance !== hello.instance;
    this.#instance = hello.instance;
    // Live-only: what the server held before the first connection counts as already seen.
    if (first && this.#subscription.replay === 'none') for (const [stream, seq] of Object.entries(hello.last_seq)) if (!this.#positions.has(stream)) this.#positions.set(stream, seq);
    this.#options.onState?.('open');
    this.#sendSubscribe();
  }

  #sendSubscribe(): void {
    const streams = this.#subscription.streams ?? '*';
    const resume = Object.fromEntries([...this.#positions].filter(([s]) => streams === '*' || streams.includes(s)));
    const id = `s${++this.#requests}`;
    this.#awaiting = id;
    // Streams without a position are new since the first hello (a live-only client's positions start
    // at that hello's last_seq): all of them is wanted.
    this.#socket?.send(JSON.stringify({ type: 'subscribe', id, streams, ...(this.#subscription.types ? { types: this.#subscription.types } : {}), replay: 'all', resume }));
  }

  #advance(stream: string, seq: number): void {
    if ((this.#positions.get(stream) ?? -1) < seq) this.#positions.set(stream, seq);
  }

  #deliver(event: FeedEvent): void {
    const waiter = this.#waiters.shift();
    if (waiter) return waiter.resolve({ value: event, done: false });
    this.#buffer.push(event);
    const max = this.#options.maxBuffered ?? 10_000;
    while (this.#buffer.length > max) {
      this.#buffer.shift();
      this.#droppedLocally += 1;
    }
  }

  #startHeartbeat(socket: WebSocketLike): void {
    const every = this.#options.pingIntervalMs ?? 15_000;
    const timeout = this.#options.pongTimeoutMs ?? 10_000;
    this.#pingTimer = setInterval(() => {
      if (Date.now() - this.#lastHeard > every + timeout) {
        // Heard nothing, not even a pong: the connection is dead even if it has not said so, and a
        // close handshake on it would take as long again.
        const terminate = (socket as WebSocketLike & { terminate?: () => void }).terminate;
        if (terminate) terminate.call(socket);
        else socket.close(4000, 'heartbeat timeout');
        this.#gone(socket, 4000, 'heartbeat timeout');
        return;
      }
      if (socket.readyState === 1) socket.send(JSON.stringify({ type: 'ping' }));
    }, every);
  }

  #stopTimers(): void {
    if (this.#pingTimer !== undefined) clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
    for (const t of this.#timers.splice(0)) clearTimeout(t);
  }

  #fail(error: Error): void {
    this.#failure = error;
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }
}
