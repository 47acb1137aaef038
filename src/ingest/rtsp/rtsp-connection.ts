/**
 * One connection to an RTSP feed: a GStreamer pipeline from rtspsrc to GDP packets, run in a child
 * process (decoder-process.ts explains why), its packets read back here. Items carry PTS in that
 * pipeline's running time, and `startedAtMs` says when that time began on this process's clock; the
 * live source maps them onto the stream's one media clock. The connection ends exactly once: on a
 * GStreamer error, on end of stream (rtspsrc ends a TCP session whose server went away with EOS, not
 * an error), when the child dies, or when closed. It never retries by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { AffectStreamError } from '../../core/errors.js';
import { capsInt, parseGdpPacket, parseSegmentEvent, type SegmentTimes } from '../gdp.js';
import { errorFromBus } from '../gst-errors.js';
import { packedRgb } from '../gst-source.js';
import { ANALYSIS_SAMPLE_RATE, type MediaItem } from '../../core/media.js';
import { GdpFramer } from './gdp-framer.js';

export interface RtspConnectionEvents {
  /** A decoded frame or audio chunk, PTS in seconds of this connection's running time. */
  item(item: MediaItem): void;
  /** The connection is over: `error` when GStreamer failed, undefined for end of stream. */
  end(error: AffectStreamError | undefined): void;
}

const NS_PER_S = 1e9;
const CHILD = fileURLToPath(new URL('./decoder-process.js', import.meta.url));
/** Decoder processes alive (tests and benches count them to check that stopped streams freed theirs). */
const liveChildren = new Set<ChildProcess>();

export function liveDecoderProcesses(): number {
  return liveChildren.size;
}

export class RtspConnection {
  /** performance.now() at which this connection's running time (PTS 0) started, once known. */
  startedAtMs: number | undefined;
  readonly #child: ChildProcess;
  readonly #events: RtspConnectionEvents;
  readonly #label: string;
  readonly #fps: number;
  #finished = false;
  #openTracks = 0;
  #error: AffectStreamError | undefined;

  constructor(launch: string, tracks: { video: boolean; audio: boolean }, label: string, fps: number, events: RtspConnectionEvents) {
    this.#events = events;
    this.#label = label;
    this.#fps = fps;
    // Three libuv threads wait in the child (two appsink pulls and the bus): the default pool of 4 suffices.
    this.#child = spawn(process.execPath, [CHILD], {
      stdio: ['pipe', 'pipe', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, UV_THREADPOOL_SIZE: '4' },
    });
    liveChildren.add(this.#child);
    this.#child.on('error', (err) => this.#finish(new AffectStreamError('internal', `${label}: cannot start the decoder process: ${err.message}`)));
    this.#child.on('exit', (code, signal) => {
      liveChildren.delete(this.#child);
      if (this.#finished) return;
      // Whatever the pipes still held has been read by now or is lost with the process.
      this.#finish(this.#error ?? (code === 0 ? undefined : new AffectStreamError('decode_failed', `${label}: the decoder process ended (${signal ?? `exit code ${code}`})`)));
    });
    this.#child.stdin!.on('error', () => {});
    this.#child.stdin!.write(`${JSON.stringify({ launch })}\n`);
    this.#readControl(this.#child.stdout!);
    if (tracks.video) this.#readTrack(this.#child.stdio[3] as Readable, 'video');
    if (tracks.audio) this.#readTrack(this.#child.stdio[4] as Readable, 'audio');
  }

  /** Stops the pipeline: the process is killed, which frees its sockets and memory; `end` does not fire. */
  close(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#child.kill('SIGKILL');
  }

  #finish(error: AffectStreamError | undefined): void {
    if (this.#finished) return;
    this.close();
    this.#events.end(error);
  }

  #readControl(stdout: Readable): void {
    let text = '';
    stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      let newline: number;
      while ((newline = text.indexOf('\n')) >= 0) {
        const line = text.slice(0, newline);
        text = text.slice(newline + 1);
        const message = JSON.parse(line) as { type: string; epochMs?: number; message?: string; debug?: string; name?: string };
        if (message.type === 'started') this.startedAtMs = message.epochMs! - performance.timeOrigin;
        else if (message.type === 'error') {
          this.#error ??= errorFromBus({ type: 'error', message: message.message ?? 'unknown GStreamer error', debug: message.debug, name: message.name }, this.#label);
          this.#finish(this.#error);
        } else if (message.type === 'eos') this.#finish(undefined);
      }
    });
  }

  #readTrack(stream: Readable, kind: 'video' | 'audio'): void {
    let segment: SegmentTimes | undefined;
    let width = 0;
    let height = 0;
    const framer = new GdpFramer();
    this.#openTracks += 1;
    stream.on('error', () => {});
    stream.on('end', () => {
      this.#openTracks -= 1;
      if (this.#openTracks === 0) this.#finish(this.#error);
    });
    stream.on('data', (chunk: Buffer) => {
      for (const packet of framer.push(chunk)) {
        if (this.#finished) return;
        const arrivalMs = performance.now();
        const parsed = parseGdpPacket(packet);
        if (parsed.type === 'caps') {
          width = capsInt(parsed.caps, 'width') ?? width;
          height = capsInt(parsed.caps, 'height') ?? height;
        } else if (parsed.type === 'event') {
          segment = parseSegmentEvent(parsed.text) ?? segment;
        } else if (parsed.type === 'buffer' && parsed.ptsNs !== null) {
          const pts = Number(segment ? parsed.ptsNs - segment.startNs + segment.baseNs : parsed.ptsNs) / NS_PER_S;
          if (kind === 'video') {
            const duration = parsed.durationNs === null ? 1 / this.#fps : Number(parsed.durationNs) / NS_PER_S;
            // A frame's pixels go to an inference worker by transfer, so they need their own buffer,
            // not a view into the pipe's chunks (which hold the next packets).
            const own = new Uint8Array(parsed.payload.byteLength);
            own.set(parsed.payload);
            const rgb = packedRgb(Buffer.from(own.buffer), width, height);
            this.#events.item({ kind: 'video', pts, duration, width, height, rgb, arrivalMs });
          } else {
            const samples = new Float32Array(parsed.payload.byteLength >> 2);
            new Uint8Array(samples.buffer).set(parsed.payload.subarray(0, samples.byteLength));
            this.#events.item({ kind: 'audio', pts, sampleRate: ANALYSIS_SAMPLE_RATE, samples, arrivalMs });
          }
        }
      }
    });
  }

  toString(): string {
    return `RtspConnection(${this.#label})`;
  }
}
