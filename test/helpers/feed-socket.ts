/**
 * A raw WebSocket client of the feed for protocol tests: keeps every message (each one checked
 * against the JSON Schema as it arrives), sends client messages, and waits for conditions.
 */
import { WebSocket, type ClientOptions } from 'ws';
import { assertSchema } from './feed-schema.js';

export type Message = { type: string; stream?: string; feed?: { seq: number; ts: number }; [key: string]: unknown };

export class FeedSocket {
  readonly messages: Message[] = [];
  readonly socket: WebSocket;
  closed: { code: number; reason: string } | undefined;
  #waiters = new Set<() => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Message;
      assertSchema(message);
      this.messages.push(message);
      this.#wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
  }

  static open(url: string, options: ClientOptions = {}): Promise<FeedSocket> {
    const socket = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new FeedSocket(socket)));
      socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      socket.once('error', reject);
    });
  }

  /** Events (affect/status/error with a stream) received so far, optionally of one stream. */
  events(stream?: string): Message[] {
    return this.messages.filter((m) => m.feed !== undefined && (stream === undefined || m.stream === stream));
  }

  of(type: string): Message[] {
    return this.messages.filter((m) => m.type === type);
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; last messages: ${JSON.stringify(this.messages.slice(-5)).slice(0, 800)}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  close(): void {
    this.socket.close();
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}
