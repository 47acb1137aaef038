/**
 * Cuts a byte stream of GDP packets (a pipe from a decoder process) back into packets: header, then
 * the payload length the header gives. Chunks are joined once per packet, not once per read, so a
 * 700 KB frame arriving in 64 KB reads is copied once.
 */
import { GDP_HEADER_BYTES } from '../gdp.js';

export class GdpFramer {
  #chunks: Buffer[] = [];
  #length = 0;
  /** Bytes of the packet being assembled, once its header is in. */
  #need = 0;

  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    const packets: Buffer[] = [];
    for (;;) {
      if (this.#need === 0) {
        if (this.#length < GDP_HEADER_BYTES) break;
        const head = this.#chunks[0]!.length >= GDP_HEADER_BYTES ? this.#chunks[0]! : this.#flatten();
        this.#need = GDP_HEADER_BYTES + head.readUInt32BE(6);
      }
      if (this.#length < this.#need) break;
      const all = this.#flatten();
      packets.push(all.subarray(0, this.#need));
      const rest = all.subarray(this.#need);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#length = rest.length;
      this.#need = 0;
    }
    return packets;
  }

  #flatten(): Buffer {
    const joined = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [joined];
    return joined;
  }
}
