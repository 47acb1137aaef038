/**
 * The WebSocket event feed at /v1/events: every connected client gets every stream's events. A new
 * client first gets each stream's recent history (bounded), so a dashboard opened late still has
 * context. A client that cannot keep up is disconnected once its unsent bytes pass a bound: one slow
 * reader never grows server memory or delays the others.
 */
import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import type { StreamEvent } from './events.js';

export interface EventFeedOptions {
  /** Events kept per stream for clients that connect later. */
  readonly historyPerStream: number;
  /** A client with more than this many unsent bytes is disconnected. */
  readonly maxBufferedBytes: number;
  readonly path: string;
}

export const DEFAULT_EVENT_FEED_OPTIONS: Readonly<EventFeedOptions> = Object.freeze({
  historyPerStream: 600,
  maxBufferedBytes: 4 * 1024 * 1024,
  path: '/v1/events',
});

export const FEED_PROTOCOL_VERSION = 1;

export class EventFeed {
  readonly #options: EventFeedOptions;
  readonly #wss: WebSocketServer;
  readonly #history = new Map<string, string[]>();
  #slowDisconnects = 0;

  constructor(server: Server, options: Partial<EventFeedOptions> = {}) {
    this.#options = { ...DEFAULT_EVENT_FEED_OPTIONS, ...options };
    this.#wss = new WebSocketServer({ server, path: this.#options.path, maxPayload: 64 * 1024 });
    this.#wss.on('connection', (socket, request) => this.#welcome(socket, request));
  }

  publish(event: StreamEvent): void {
    const text = JSON.stringify(event);
    let history = this.#history.get(event.stream);
    if (!history) this.#history.set(event.stream, (history = []));
    history.push(text);
    if (history.length > this.#options.historyPerStream) history.splice(0, history.length - this.#options.historyPerStream);
    for (const client of this.#wss.clients) this.#send(client, text);
  }

  get clientCount(): number {
    return this.#wss.clients.size;
  }

  get slowDisconnects(): number {
    return this.#slowDisconnects;
  }

  async close(): Promise<void> {
    for (const client of this.#wss.clients) client.close(1001, 'server shutting down');
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #welcome(socket: WebSocket, _request: IncomingMessage): void {
    socket.send(JSON.stringify({ type: 'hello', version: FEED_PROTOCOL_VERSION, streams: [...this.#history.keys()] }));
    for (const history of this.#history.values()) for (const text of history) this.#send(socket, text);
    // The feed is one-way for now; a client message gets a clear answer rather than silence.
    socket.on('message', () => socket.send(JSON.stringify({ type: 'error', code: 'invalid_argument', message: 'this feed accepts no client messages yet' })));
  }

  #send(client: WebSocket, text: string): void {
    if (client.readyState !== WebSocket.OPEN) return;
    if (client.bufferedAmount > this.#options.maxBufferedBytes) {
      this.#slowDisconnects += 1;
      client.terminate();
      return;
    }
    client.send(text);
  }
}
