/**
 * Decodes one received RTP track with GStreamer: appsrc → rtpjitterbuffer → depayloader → decoder →
 * the same sink bins as file decoding (RGB at the analysis rate and width, or 16 kHz mono float).
 *
 * Timing: every packet is pushed stamped with its arrival on this pipeline's running clock, and the
 * jitter buffer runs in `synced` mode, so a decoded buffer's PTS is the first packet's arrival plus the
 * RTP-timestamp distance from it: media time from RTP timestamps, on the receive clock. The inverse of
 * that mapping gives each output the RTP timestamp it came from, and through the arrival log the moment
 * its last packet arrived. The session turns PTS into its media clock (one clock for all tracks) with
 * `mediaOffsetSeconds`.
 */
import { AffectStreamError } from '../../core/errors.js';
import { capsInt, parseGdpPacket, parseSegmentEvent, type SegmentTimes } from '../gdp.js';
import { errorFromBus } from '../gst-errors.js';
import { audioSinkBin, packedRgb, videoSinkBin, type DecodeOptions } from '../gst-source.js';
import { closePipeline, openPipeline, watchBus, type AppSink, type AppSrc, type BusMessage, type GstPipeline } from '../gstreamer-binding.js';
import { ANALYSIS_SAMPLE_RATE, type MediaItem } from '../../core/media.js';
import { rtpCaps, type CodecSpec } from './codecs.js';
import { ArrivalLog, Unwrapper } from './rtp-timeline.js';

export type TrackDecodeOptions = Pick<DecodeOptions, 'fps' | 'width' | 'audioChunkSeconds'> & {
  /** How long the jitter buffer waits for a missing packet (NACK/RTX) before giving it up. */
  readonly jitterLatencyMs: number;
};

export interface TrackDecoderEvents {
  /** A decoded frame or chunk with PTS in this decoder's seconds; the session maps it to media time. */
  item(item: MediaItem): void;
  /** The pipeline ended: `error` when GStreamer failed, nothing after a clean end of stream. */
  end(error?: AffectStreamError): void;
}

const NS_PER_S = 1e9;
/** Arrival history kept per track; far more than any jitter buffer or decoder holds. */
const ARRIVAL_HORIZON_SECONDS = 5;

export class RtpTrackDecoder {
  readonly codec: CodecSpec;
  readonly payloadType: number;
  readonly #events: TrackDecoderEvents;
  readonly #options: TrackDecodeOptions;
  readonly #pipeline: GstPipeline;
  readonly #src: AppSrc;
  readonly #startedAtMs: number;
  readonly #rtp = new Unwrapper(32);
  readonly #arrivals: ArrivalLog;
  readonly #ptsBytes = Buffer.alloc(8);
  #first: { extRtp: number; pushSeconds: number } | undefined;
  #segment: SegmentTimes | undefined;
  #width = 0;
  #height = 0;
  #finished = false;
  #draining: ReturnType<typeof setTimeout> | undefined;
  #packets = 0;

  constructor(codec: CodecSpec, payloadType: number, options: TrackDecodeOptions, events: TrackDecoderEvents, label: string) {
    this.codec = codec;
    this.payloadType = payloadType;
    this.#options = options;
    this.#events = events;
    this.#arrivals = new ArrivalLog(ARRIVAL_HORIZON_SECONDS * codec.clockRate);
    const sinkBin = codec.kind === 'video' ? videoSinkBin(options, false, 'out', true) : audioSinkBin(options, false, 'out');
    const launch =
      `appsrc name=src format=time is-live=true do-timestamp=false max-bytes=4000000 caps="${rtpCaps(codec, payloadType)}" ! ` +
      `rtpjitterbuffer mode=synced latency=${options.jitterLatencyMs} ! ${codec.depayDecode} ! ${sinkBin}`;
    this.#pipeline = openPipeline(launch);
    const src = this.#pipeline.findChild('src');
    const out = this.#pipeline.findChild('out');
    if (!src || !out) throw new AffectStreamError('internal', `the ${codec.name} decoder lacks its appsrc or appsink`);
    // Named `src` in the launch string above: an appsrc, which the binding gives a push().
    this.#src = src as unknown as AppSrc;
    watchBus(this.#pipeline, (message: BusMessage) => {
      if (message.type === 'error') this.#finish(errorFromBus(message, label));
    });
    // The PTS of pushed packets is this pipeline's running time: the clock starts at play().
    this.#startedAtMs = performance.now();
    this.#pipeline.play();
    this.#pull(out);
  }

  /** performance.now() at which this decoder's clock (PTS 0) started. */
  get startedAtMs(): number {
    return this.#startedAtMs;
  }

  /** The first packet's extended RTP timestamp and its PTS in seconds, once one was pushed. */
  get firstPacket(): { extRtp: number; pushSeconds: number } | undefined {
    return this.#first;
  }

  get packets(): number {
    return this.#packets;
  }

  /** Unwraps a timestamp of this track's RTP clock (for sender reports). */
  extendRtp(timestamp: number): number {
    return this.#rtp.unwrap(timestamp);
  }

  push(packet: Buffer, rtpTimestamp: number, arrivalMs: number): void {
    if (this.#finished || this.#draining) return;
    const extRtp = this.#rtp.unwrap(rtpTimestamp);
    const pushSeconds = (arrivalMs - this.#startedAtMs) / 1000;
    this.#first ??= { extRtp, pushSeconds };
    this.#arrivals.record(extRtp, arrivalMs);
    this.#ptsBytes.writeBigUInt64BE(BigInt(Math.max(0, Math.round(pushSeconds * NS_PER_S))));
    this.#src.push(packet, this.#ptsBytes);
    this.#packets += 1;
  }

  /** Ends the track cleanly: what was received is decoded and delivered, then `end()` fires. */
  drain(timeoutMs: number): void {
    if (this.#finished || this.#draining) return;
    this.#draining = setTimeout(() => this.#finish(), timeoutMs);
    this.#pipeline.sendEOS();
  }

  /** Stops at once; `end()` does not fire. */
  close(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#draining);
    void closePipeline(this.#pipeline);
  }

  #finish(error?: AffectStreamError): void {
    if (this.#finished) return;
    this.close();
    this.#events.end(error);
  }

  #pull(sink: AppSink): void {
    const onPacket = (packet: Buffer | null) => {
      if (this.#finished) return;
      if (!packet) {
        this.#finish();
        return;
      }
      const pulledAtMs = performance.now();
      const parsed = parseGdpPacket(packet);
      if (parsed.type === 'caps') {
        this.#width = capsInt(parsed.caps, 'width') ?? this.#width;
        this.#height = capsInt(parsed.caps, 'height') ?? this.#height;
      } else if (parsed.type === 'event') {
        this.#segment = parseSegmentEvent(parsed.text) ?? this.#segment;
      } else if (parsed.type === 'buffer' && parsed.ptsNs !== null) {
        const segment = this.#segment;
        const pts = Number(segment ? parsed.ptsNs - segment.startNs + segment.baseNs : parsed.ptsNs) / NS_PER_S;
        this.#emit(pts, parsed.durationNs, parsed.payload, pulledAtMs);
      }
      sink.pull(onPacket);
    };
    sink.pull(onPacket);
  }

  #emit(pts: number, durationNs: bigint | null, payload: Buffer, pulledAtMs: number): void {
    if (this.codec.kind === 'video') {
      const duration = durationNs === null ? 1 / this.#options.fps : Number(durationNs) / NS_PER_S;
      const arrivalMs = this.#arrivalUpTo(pts) ?? pulledAtMs;
      const rgb = packedRgb(payload, this.#width, this.#height);
      this.#events.item({ kind: 'video', pts, duration, width: this.#width, height: this.#height, rgb, arrivalMs });
      return;
    }
    // The payload sits 62 bytes into the GDP packet: not 4-byte aligned, so it is copied out.
    const samples = new Float32Array(payload.byteLength >> 2);
    new Uint8Array(samples.buffer).set(payload.subarray(0, samples.byteLength));
    // A chunk is complete when the packet holding its last sample has arrived.
    const end = pts + samples.length / ANALYSIS_SAMPLE_RATE;
    const arrivalMs = this.#arrivalUpTo(end, -1) ?? pulledAtMs;
    this.#events.item({ kind: 'audio', pts, sampleRate: ANALYSIS_SAMPLE_RATE, samples, arrivalMs });
  }

  /** Arrival of the last packet at or before PTS `seconds` (+ `ticks` RTP ticks). */
  #arrivalUpTo(seconds: number, ticks = 0): number | undefined {
    const first = this.#first;
    if (!first) return undefined;
    const extRtp = first.extRtp + Math.round((seconds - first.pushSeconds) * this.codec.clockRate) + ticks;
    return this.#arrivals.lastArrivalUpTo(extRtp);
  }
}
