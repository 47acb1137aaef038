/**
 * The WebSocket event feed at /v1/events (protocol: docs/feed-protocol.md, messages: feed-protocol.ts).
 *
 * Every event is numbered per stream (`feed.seq`), stamped (`feed.ts`), encoded once and kept in a
 * bounded replay log shared by all clients. Each client reads the log through its own cursor, and only
 * while its socket has less than `highWaterBytes` unsent: a slow client falls behind in the shared log
 * instead of growing a queue of its own. When it is more than `maxQueue` messages behind live, it gets
 * a `lagged` notice and skips ahead, or is disconnected (`slowClient`). Clients subscribe by URL query
 * or `subscribe` message (streams, types, replay or resume by seq); the server pings every
 * `heartbeatMs` and drops a client it has heard nothing from (pong or message) for `idleTimeoutMs`.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { canRead, TokenAuth, type Principal } from './auth.js';
import { FeedCursor, type Selection } from './feed-cursor.js';
import { EVENT_TYPES, FEED_PATH, FEED_PROTOCOL_VERSION, parseClientMessage, type EventType, type FeedErrorCode, type SubscribeMessage } from './feed-protocol.js';
import type { StreamEvent } from '../core/events.js';
import { ReplayLog } from './replay-log.js';

export { FEED_PROTOCOL_VERSION } from './feed-protocol.js';

export interface EventFeedOptions {
  readonly path: string;
  /** Messages kept per stream for late and resuming clients. */
  readonly replayPerStream: number;
  /** Streams whose messages are kept. */
  readonly replayStreams: number;
  /** A client more than this many messages behind live is lagged (or disconnected). */
  readonly maxQueue: number;
  /** `lag`: skip ahead and send a `lagged` notice; `disconnect`: close the connection (code 4008). */
  readonly slowClient: 'lag' | 'disconnect';
  /** Bytes a client's socket may hold unsent before the feed stops handing it messages. */
  readonly highWaterBytes: number;
  readonly heartbeatMs: number;
  readonly idleTimeoutMs: number;
  /** Larger client messages get `message_too_large`; beyond 64 times this the connection is closed (1009). */
  readonly maxMessageBytes: number;
  readonly auth: TokenAuth;
}

export const DEFAULT_EVENT_FEED_OPTIONS: Readonly<EventFeedOptions> = Object.freeze({
  path: FEED_PATH,
  replayPerStream: 600,
  replayStreams: 256,
  maxQueue: 512,
  slowClient: 'lag',
  highWaterBytes: 256 * 1024,
  heartbeatMs: 15_000,
  idleTimeoutMs: 45_000,
  maxMessageBytes: 16 * 1024,
  auth: new TokenAuth([]),
});

export interface FeedStats {
  readonly clients: number;
  readonly messagesSent: number;
  readonly laggedDropped: number;
  readonly laggedNotices: number;
  readonly slowDisconnects: number;
  readonly idleDisconnects: number;
  readonly clientErrors: number;
  readonly replay: { readonly streams: number; readonly messages: number; readonly bytes: number };
  /** Unsent bytes held for all clients by their sockets. */
  readonly bufferedBytes: number;
}

interface Client {
  readonly socket: WebSocket;
  readonly principal: Principal;
  cursor: FeedCursor | undefined;
  lastHeard: number;
  /** Waiting for a send callback before handing out more. */
  blocked: boolean;
}

const ALL_TYPES: ReadonlySet<EventType> = new Set(EVENT_TYPES);

export class EventFeed {
  readonly #options: EventFeedOptions;
  readonly #wss: WebSocketServer;
  readonly #log: ReplayLog;
  readonly #clients = new Set<Client>();
  readonly #instance = randomBytes(6).toString('hex');
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  readonly #server: Server;
  #stats = { messagesSent: 0, laggedDropped: 0, laggedNotices: 0, slowDisconnects: 0, idleDisconnects: 0, clientErrors: 0 };

  constructor(server: Server, options: Partial<EventFeedOptions> = {}) {
    this.#options = { ...DEFAULT_EVENT_FEED_OPTIONS, ...options };
    this.#log = new ReplayLog({ perStream: this.#options.replayPerStream, maxStreams: this.#options.replayStreams });
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: this.#options.maxMessageBytes * 64 });
    this.#server = server;
    this.#onUpgrade = (request, socket, head) => this.#upgrade(request, socket, head);
    server.on('upgrade', this.#onUpgrade);
    this.#heartbeat = setInterval(() => this.#beat(), this.#options.heartbeatMs).unref();
  }

  publish(event: StreamEvent): void {
    const ts = Date.now();
    const entry = this.#log.append(event.stream, event.type, (seq) => Buffer.from(JSON.stringify({ ...event, feed: { seq, ts } })));
    for (const client of this.#clients) {
      const cursor = client.cursor;
      if (!cursor?.selects(entry.stream)) continue;
      // A client whose socket has room is about to be handed everything: only a stuck one can be behind.
      const stuck = client.blocked || client.socket.bufferedAmount >= this.#options.highWaterBytes;
      if (stuck && cursor.backlog() > this.#options.maxQueue) {
        if (this.#options.slowClient === 'disconnect') {
          this.#stats.slowDisconnects += 1;
          this.#drop(client, 4008, 'too slow: more than maxQueue messages behind');
          continue;
        }
        const before = cursor.droppedTotal;
        cursor.skipToHead();
        this.#stats.laggedDropped += cursor.droppedTotal - before;
      }
      this.#pump(client);
    }
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** Kept for /healthz: clients cut off for being slow. */
  get slowDisconnects(): number {
    return this.#stats.slowDisconnects;
  }

  stats(): FeedStats {
    let bufferedBytes = 0;
    for (const client of this.#clients) bufferedBytes += client.socket.bufferedAmount;
    return { clients: this.#clients.size, ...this.#stats, replay: this.#log.stats(), bufferedBytes };
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#server.off('upgrade', this.#onUpgrade);
    for (const client of this.#clients) client.socket.close(1001, 'server shutting down');
    // A client that does not answer the close frame is not waited for.
    const stragglers = setTimeout(() => {
      for (const client of this.#clients) client.socket.terminate();
    }, 2000).unref();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    while (this.#clients.size > 0) await new Promise((r) => setTimeout(r, 20));
    clearTimeout(stragglers);
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '').split('?')[0];
    if (path !== this.#options.path) {
      // Another upgrade handler may own the path; when there is none, say so instead of hanging.
      if (this.#server.listenerCount('upgrade') === 1) rejectUpgrade(socket, 404, { error: 'not_found', message: 'no WebSocket endpoint here' });
      return;
    }
    const auth = this.#options.auth.authorize(request);
    if (!auth.ok) {
      rejectUpgrade(socket, auth.status, { error: auth.error, message: auth.message }, auth.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#welcome(ws, request, auth.principal));
  }

  #welcome(socket: WebSocket, request: IncomingMessage, principal: Principal): void {
    const client: Client = { socket, principal, cursor: undefined, lastHeard: Date.now(), blocked: false };
    this.#clients.add(client);
    socket.on('close', () => this.#clients.delete(client));
    socket.on('error', () => socket.terminate());
    socket.on('pong', () => (client.lastHeard = Date.now()));
    socket.on('message', (data, isBinary) => this.#onMessage(client, data, isBinary));
    const streams = this.#log.streams().filter((s) => canRead(principal, s));
    this.#sendControl(client, {
      type: 'hello',
      version: FEED_PROTOCOL_VERSION,
      instance: this.#instance,
      streams,
      last_seq: Object.fromEntries(streams.filter((s) => this.#log.nextSeq(s) > 0).map((s) => [s, this.#log.nextSeq(s) - 1])),
      heartbeat_ms: this.#options.heartbeatMs,
      idle_timeout_ms: this.#options.idleTimeoutMs,
      max_message_bytes: this.#options.maxMessageBytes,
      replay_per_stream: this.#options.replayPerStream,
    });
    const initial = subscriptionFromQuery((request.url ?? '').split('?')[1] ?? '');
    if (typeof initial === 'string') this.#reject(client, 'bad_message', `query: ${initial}`);
    else if (initial) this.#subscribe(client, initial);
  }

  #onMessage(client: Client, data: RawData, isBinary: boolean): void {
    client.lastHeard = Date.now();
    const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
    if (bytes > this.#options.maxMessageBytes) return this.#reject(client, 'message_too_large', `a client message may have at most ${this.#options.maxMessageBytes} bytes; this one had ${bytes}`);
    if (isBinary) return this.#reject(client, 'bad_message', 'client messages are JSON text');
    const parsed = parseClientMessage(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'));
    if (!parsed.ok) return this.#reject(client, 'bad_message', parsed.reason);
    const message = parsed.message;
    if (message.type === 'ping') this.#sendControl(client, { type: 'pong', ...(message.id === undefined ? {} : { id: message.id }), ts: Date.now() });
    else this.#subscribe(client, message);
  }

  #subscribe(client: Client, message: SubscribeMessage): void {
    const named = message.streams === '*' ? [] : [...message.streams, ...Object.keys(message.resume ?? {})];
    const denied = [...new Set(named.filter((s) => !canRead(client.principal, s)))];
    if (denied.length > 0) return this.#reject(client, 'forbidden', `token ${client.principal.name} may not read ${denied.join(', ')}`, message.id);
    const selection: Selection = {
      streams: message.streams === '*' ? '*' : new Set(message.streams),
      types: message.types ? new Set(message.types) : ALL_TYPES,
      scope: client.principal.streams,
    };
    client.cursor = new FeedCursor(this.#log, selection, { replay: message.replay ?? 'all', resume: message.resume ?? {} });
    this.#sendControl(client, { type: 'subscribed', ...(message.id === undefined ? {} : { id: message.id }), streams: message.streams, types: [...selection.types] });
    this.#pump(client);
  }

  /** Hands the client messages from its cursor while its socket has room. */
  #pump(client: Client): void {
    const { socket, cursor } = client;
    if (!cursor || client.blocked) return;
    while (socket.readyState === WebSocket.OPEN && socket.bufferedAmount < this.#options.highWaterBytes) {
      const before = cursor.droppedTotal;
      const item = cursor.take();
      // The log can also move past a slow client before it got there (counted as it is found).
      this.#stats.laggedDropped += cursor.droppedTotal - before;
      if (!item) return;
      let data: Buffer;
      if (item.kind === 'entry') data = item.entry.data;
      else {
        if (item.message.type === 'lagged') this.#stats.laggedNotices += 1;
        data = Buffer.from(JSON.stringify(item.message));
      }
      this.#stats.messagesSent += 1;
      if (socket.bufferedAmount + data.length < this.#options.highWaterBytes) {
        socket.send(data, { binary: false });
        continue;
      }
      // The socket is full after this one: wait until it has written it out.
      client.blocked = true;
      socket.send(data, { binary: false }, () => {
        client.blocked = false;
        this.#pump(client);
      });
      return;
    }
  }

  #sendControl(client: Client, message: object): void {
    if (client.socket.readyState !== WebSocket.OPEN) return;
    // Control replies bypass the cursor; a client that keeps asking while never reading is cut off.
    if (client.socket.bufferedAmount > 4 * this.#options.highWaterBytes) {
      this.#stats.slowDisconnects += 1;
      this.#drop(client, 4008, 'too slow');
      return;
    }
    client.socket.send(JSON.stringify(message));
  }

  #reject(client: Client, code: FeedErrorCode, message: string, id?: string): void {
    this.#stats.clientErrors += 1;
    this.#sendControl(client, { type: 'error', code, message, ...(id === undefined ? {} : { id }) });
  }

  #beat(): void {
    const now = Date.now();
    for (const client of this.#clients) {
      if (now - client.lastHeard > this.#options.idleTimeoutMs) {
        this.#stats.idleDisconnects += 1;
        this.#drop(client, 4001, 'idle timeout');
        continue;
      }
      if (client.socket.readyState === WebSocket.OPEN) client.socket.ping();
    }
  }

  /** Closes with a reason a live client can read, and frees the socket even if the client never answers. */
  #drop(client: Client, code: number, reason: string): void {
    this.#clients.delete(client);
    client.cursor = undefined;
    client.socket.close(code, reason);
    setTimeout(() => client.socket.terminate(), 1000).unref();
  }
}

/**
 * The subscription a URL asks for: `?streams=a,b|*&types=affect,status&replay=all|none&resume=a:12,b:40`.
 * No `streams` parameter: every stream with replay (what a plain client gets); `streams=` (empty): none
 * yet, the client will send a `subscribe` message. A string: what is wrong with the query.
 */
export function subscriptionFromQuery(query: string): SubscribeMessage | undefined | string {
  const params = new URLSearchParams(query);
  const streamsParam = params.get('streams');
  if (streamsParam === '') return undefined;
  const list = (name: string) => params.get(name)?.split(',').filter((s) => s.length > 0);
  const resume: Record<string, unknown> = {};
  for (const pair of list('resume') ?? []) {
    const at = pair.lastIndexOf(':');
    if (at <= 0) return `resume: expected stream:seq, got ${JSON.stringify(pair)}`;
    resume[pair.slice(0, at)] = Number(pair.slice(at + 1));
  }
  const raw = {
    type: 'subscribe',
    streams: streamsParam === null || streamsParam === '*' ? '*' : list('streams'),
    ...(params.has('types') ? { types: list('types') } : {}),
    ...(params.has('replay') ? { replay: params.get('replay') } : {}),
    ...(params.has('resume') ? { resume } : {}),
  };
  const parsed = parseClientMessage(JSON.stringify(raw));
  if (!parsed.ok) return parsed.reason;
  return parsed.message as SubscribeMessage;
}

function rejectUpgrade(socket: Duplex, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Bad Request';
  const lines = [`HTTP/1.1 ${status} ${reason}`, 'connection: close', 'content-type: application/json', `content-length: ${Buffer.byteLength(text)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}
