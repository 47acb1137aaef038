/** A WebSocket client of the event feed that keeps every event and lets a test wait for one. */
import { WebSocket } from 'ws';
import type { StreamEvent } from '../../core/events.js';
import { Conditions } from './condition.js';

export class FeedClient {
  readonly events: StreamEvent[] = [];
  readonly #socket: WebSocket;
  readonly #conditions = new Conditions();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as (StreamEvent & { feed?: unknown }) | { type: 'hello' | 'subscribed' | 'gap' | 'lagged' | 'pong' };
      // Protocol messages and the feed's own numbering (`feed`) are not the pipeline's events.
      if (message.type !== 'affect' && message.type !== 'status' && message.type !== 'error') return;
      if (!('stream' in message)) return;
      const { feed: _feed, ...event } = message;
      this.events.push(event as StreamEvent);
      this.#conditions.wake();
    });
  }

  static open(url: string): Promise<FeedClient> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new FeedClient(socket)));
      socket.once('error', reject);
    });
  }

  of(stream: string): StreamEvent[] {
    return this.events.filter((e) => e.stream === stream);
  }

  /** Resolves once `predicate` holds over the events so far; rejects after `timeoutMs`. */
  waitFor(what: string, predicate: (events: StreamEvent[]) => boolean, timeoutMs: number): Promise<void> {
    const seen = () => JSON.stringify(this.events.map((e) => [e.stream, e.type, e.type === 'status' ? e.state : e.type === 'error' ? e.code : e.seq]));
    return this.#conditions.waitFor(what, () => predicate(this.events), timeoutMs, seen);
  }

  close(): void {
    this.#socket.close();
  }
}
