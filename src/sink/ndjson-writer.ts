/**
 * Writes events as newline-delimited JSON to stdout or a file, waiting for the stream to drain when
 * its buffer is full so a slow pipe holds the writer back instead of growing memory.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { StreamEvent } from '../core/events.js';

export class NdjsonWriter {
  readonly #out: Writable;
  readonly #ownsStream: boolean;

  private constructor(out: Writable, ownsStream: boolean) {
    this.#out = out;
    this.#ownsStream = ownsStream;
  }

  static toStdout(): NdjsonWriter {
    return new NdjsonWriter(process.stdout, false);
  }

  static toFile(path: string): NdjsonWriter {
    return new NdjsonWriter(createWriteStream(path, { flags: 'w' }), true);
  }

  async write(event: StreamEvent): Promise<void> {
    if (!this.#out.write(`${JSON.stringify(event)}\n`)) await once(this.#out, 'drain');
  }

  async close(): Promise<void> {
    if (this.#ownsStream) {
      this.#out.end();
      await once(this.#out, 'finish');
    } else if (this.#out.writableNeedDrain) {
      await once(this.#out, 'drain');
    }
  }
}
