/**
 * The feed's replay buffer: per stream, the last N messages as encoded bytes, numbered by a per-stream
 * feed sequence. Every client reads from this one log through its own cursor (feed-cursor.ts), so a
 * message is encoded once and held once however many clients there are, and a client that falls
 * behind costs a cursor, not a copy. `order` is global, so cursors can interleave streams in
 * publication order. Pure: no I/O, no timers.
 */
export interface LogEntry {
  readonly stream: string;
  /** Per-stream feed sequence, from 0, without holes. */
  readonly seq: number;
  /** Global publication order across streams. */
  readonly order: number;
  readonly type: string;
  readonly data: Buffer;
}

export interface ReplayLogOptions {
  /** Messages kept per stream. */
  readonly perStream: number;
  /** Streams whose messages are kept; beyond it the stream that published least recently loses its buffer (not its numbering). */
  readonly maxStreams: number;
}

class StreamRing {
  readonly entries: Array<LogEntry | undefined>;
  /** Index in `entries` of the oldest entry. */
  head = 0;
  size = 0;
  /** Seq the next message of this stream gets. */
  nextSeq = 0;
  lastOrder = -1;
  bytes = 0;

  constructor(readonly capacity: number) {
    this.entries = new Array<LogEntry | undefined>(capacity);
  }

  get oldestSeq(): number {
    return this.nextSeq - this.size;
  }

  push(entry: LogEntry): void {
    if (this.capacity === 0) return;
    if (this.size === this.capacity) {
      this.bytes -= this.entries[this.head]!.data.length;
      this.entries[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size -= 1;
    }
    this.entries[(this.head + this.size) % this.capacity] = entry;
    this.size += 1;
    this.bytes += entry.data.length;
  }

  get(seq: number): LogEntry | undefined {
    const i = seq - this.oldestSeq;
    if (i < 0 || i >= this.size) return undefined;
    return this.entries[(this.head + i) % this.capacity];
  }

  clear(): void {
    this.entries.fill(undefined);
    this.head = 0;
    this.size = 0;
    this.bytes = 0;
  }
}

export class ReplayLog {
  readonly #options: ReplayLogOptions;
  readonly #rings = new Map<string, StreamRing>();
  #order = 0;

  constructor(options: ReplayLogOptions) {
    if (!Number.isInteger(options.perStream) || options.perStream < 0) throw new TypeError(`perStream must be an integer ≥ 0, got ${options.perStream}`);
    if (!Number.isInteger(options.maxStreams) || options.maxStreams < 1) throw new TypeError(`maxStreams must be an integer ≥ 1, got ${options.maxStreams}`);
    this.#options = options;
  }

  get perStream(): number {
    return this.#options.perStream;
  }

  /** Appends one message; `encode` gets the seq and must return the bytes clients receive. */
  append(stream: string, type: string, encode: (seq: number) => Buffer): LogEntry {
    let ring = this.#rings.get(stream);
    if (!ring) {
      ring = new StreamRing(this.#options.perStream);
      this.#rings.set(stream, ring);
      this.#evictBeyondLimit();
    }
    const seq = ring.nextSeq;
    const entry: LogEntry = { stream, seq, order: this.#order++, type, data: encode(seq) };
    ring.push(entry);
    ring.nextSeq += 1;
    ring.lastOrder = entry.order;
    return entry;
  }

  /** Streams the log has numbered, in order of first appearance. */
  streams(): string[] {
    return [...this.#rings.keys()];
  }

  /** The same without a copy, for the per-message paths (the log never forgets a stream name). */
  streamNames(): IterableIterator<string> {
    return this.#rings.keys();
  }

  has(stream: string): boolean {
    return this.#rings.has(stream);
  }

  /** The seq the next message of `stream` gets (0 for a stream not seen yet). */
  nextSeq(stream: string): number {
    return this.#rings.get(stream)?.nextSeq ?? 0;
  }

  /** The oldest seq still held for `stream` (= nextSeq when none is held). */
  oldestSeq(stream: string): number {
    return this.#rings.get(stream)?.oldestSeq ?? 0;
  }

  get(stream: string, seq: number): LogEntry | undefined {
    return this.#rings.get(stream)?.get(seq);
  }

  stats(): { streams: number; messages: number; bytes: number } {
    let messages = 0;
    let bytes = 0;
    for (const ring of this.#rings.values()) {
      messages += ring.size;
      bytes += ring.bytes;
    }
    return { streams: this.#rings.size, messages, bytes };
  }

  #evictBeyondLimit(): void {
    let held = 0;
    for (const ring of this.#rings.values()) if (ring.size > 0) held += 1;
    if (held < this.#options.maxStreams) return;
    let stalest: StreamRing | undefined;
    for (const ring of this.#rings.values()) if (ring.size > 0 && (!stalest || ring.lastOrder < stalest.lastOrder)) stalest = ring;
    stalest?.clear();
  }
}
