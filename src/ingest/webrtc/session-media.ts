/**
 * The media side of one WebRTC session: RTP packets and sender reports in, timestamped frames and
 * audio chunks out, on one session clock. Starts a GStreamer decoder per track at its first packet
 * (the payload type says which codec the peer chose), asks for keyframes when video starts or loses
 * packets, aligns audio and video by sender reports, and watches for a peer that stops sending.
 */
import { Observable, type Subscriber } from 'rxjs';
import { AffectStreamError } from '../../core/errors.js';
import type { MediaItem, TrackLayout } from '../../core/media.js';
import { codecSpecOf } from './codecs.js';
import { KeyframeRequests } from './keyframe-requests.js';
import { LipSync, type TrackKind } from './lip-sync.js';
import { RtpTrackDecoder, type TrackDecodeOptions } from './rtp-track-decoder.js';
import type { IngestItem } from '../../core/media.js';

export interface SessionMediaOptions {
  readonly decode: TrackDecodeOptions;
  /** A track that has sent nothing for this long (after media started) means the peer is gone. */
  readonly noMediaTimeoutSeconds: number;
  /** Time the peer has, from the start of the session, to deliver its first packet of every track. */
  readonly firstMediaTimeoutSeconds: number;
  /** Time decoders get to deliver what they hold when the session ends cleanly. */
  readonly drainTimeoutMs: number;
}

export const DEFAULT_SESSION_MEDIA: Readonly<SessionMediaOptions> = Object.freeze({
  decode: { fps: 10, width: 640, audioChunkSeconds: 0.1, jitterLatencyMs: 100 },
  noMediaTimeoutSeconds: 5,
  firstMediaTimeoutSeconds: 15,
  drainTimeoutMs: 1500,
});

export interface RtpIn {
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  /** The packet as it came off the wire (after SRTP), for GStreamer. */
  readonly bytes: Buffer;
}

export interface SessionMediaPeer {
  /** MIME type the session negotiated for a payload type of a track, or undefined. */
  mimeTypeOf(kind: TrackKind, payloadType: number): string | undefined;
  requestKeyframe(kind: TrackKind, mediaSsrc: number): void;
}

const WATCHDOG_INTERVAL_MS = 250;

export class SessionMedia {
  readonly layout: TrackLayout;
  readonly #options: SessionMediaOptions;
  readonly #peer: SessionMediaPeer;
  readonly #label: string;
  readonly #originMs = performance.now();
  readonly #lipSync = new LipSync();
  readonly #decoders = new Map<TrackKind, RtpTrackDecoder>();
  readonly #keyframes = new KeyframeRequests();
  readonly #lastPacketMs = new Map<TrackKind, number>();
  #subscriber: Subscriber<IngestItem> | undefined;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #state: 'idle' | 'live' | 'draining' | 'done' = 'idle';
  #drainingTracks = 0;
  #unknownPayloads = 0;

  constructor(layout: TrackLayout, peer: SessionMediaPeer, label: string, options: Partial<SessionMediaOptions> = {}) {
    if (!layout.audio && !layout.video) throw new TypeError('a WebRTC session needs an audio or a video track');
    this.layout = layout;
    this.#peer = peer;
    this.#label = label;
    this.#options = { ...DEFAULT_SESSION_MEDIA, ...options };
  }

  /** The session's media, once: the track layout, then frames and chunks; ends with the session. */
  items(): Observable<IngestItem> {
    return new Observable<IngestItem>((subscriber) => {
      if (this.#state !== 'idle') {
        subscriber.error(new AffectStreamError('invalid_argument', `${this.#label}: the media of a WebRTC session can be consumed once`));
        return;
      }
      this.#state = 'live';
      this.#subscriber = subscriber;
      subscriber.next({ kind: 'tracks', layout: this.layout });
      this.#watchdog = setInterval(() => this.#checkLiveness(), WATCHDOG_INTERVAL_MS);
      return () => this.#stop();
    });
  }

  rtp(kind: TrackKind, packet: RtpIn): void {
    if (this.#state !== 'live' || !this.layout[kind]) return;
    const arrivalMs = performance.now();
    let decoder = this.#decoders.get(kind);
    if (!decoder) {
      decoder = this.#startDecoder(kind, packet.payloadType);
      if (!decoder) return;
    }
    if (packet.payloadType !== decoder.payloadType) {
      this.#unknownPayloads += 1;
      return;
    }
    this.#lastPacketMs.set(kind, arrivalMs);
    if (decoder.packets === 0) {
      this.#lipSync.anchor(kind, (arrivalMs - this.#originMs) / 1000, decoder.extendRtp(packet.timestamp), decoder.codec.clockRate);
    }
    decoder.push(packet.bytes, packet.timestamp, arrivalMs);
    if (kind === 'video' && this.#keyframes.packet(packet.sequenceNumber, arrivalMs)) this.#peer.requestKeyframe(kind, packet.ssrc);
  }

  senderReport(kind: TrackKind, ntpTimestamp: bigint, rtpTimestamp: number): void {
    const decoder = this.#decoders.get(kind);
    if (!decoder || decoder.packets === 0) return;
    const ntpSeconds = Number(ntpTimestamp >> 32n) + Number(ntpTimestamp & 0xffffffffn) / 2 ** 32;
    this.#lipSync.senderReport(kind, ntpSeconds, decoder.extendRtp(rtpTimestamp));
  }

  /** The peer ended the session: decode what arrived, then complete. */
  end(): void {
    if (this.#state === 'idle') this.#state = 'done';
    if (this.#state !== 'live') return;
    this.#state = 'draining';
    clearInterval(this.#watchdog);
    this.#drainingTracks = this.#decoders.size;
    if (this.#drainingTracks === 0) this.#complete();
    for (const decoder of this.#decoders.values()) decoder.drain(this.#options.drainTimeoutMs);
  }

  /** The session failed (peer lost, ICE failure): stop and report. */
  fail(error: AffectStreamError): void {
    if (this.#state === 'idle') this.#state = 'done';
    if (this.#state === 'done') return;
    const subscriber = this.#subscriber;
    this.#stop();
    subscriber?.error(error);
  }

  stats(): Record<string, unknown> {
    const packets = Object.fromEntries([...this.#decoders].map(([kind, d]) => [kind, { codec: d.codec.name, packets: d.packets }]));
    return { packets, keyframes: this.#keyframes.stats(), lipSync: this.#lipSync.stats(), unknownPayloads: this.#unknownPayloads };
  }

  #startDecoder(kind: TrackKind, payloadType: number): RtpTrackDecoder | undefined {
    const mime = this.#peer.mimeTypeOf(kind, payloadType);
    const codec = mime === undefined ? undefined : codecSpecOf(mime);
    if (!codec || codec.kind !== kind) {
      this.#unknownPayloads += 1;
      return undefined;
    }
    try {
      const decoder = new RtpTrackDecoder(codec, payloadType, this.#options.decode, {
        item: (item) => this.#deliver(kind, decoder, item),
        end: (error) => this.#trackEnded(error),
      }, this.#label);
      this.#decoders.set(kind, decoder);
      return decoder;
    } catch (err) {
      this.fail(err instanceof AffectStreamError ? err : new AffectStreamError('decode_failed', `${this.#label}: cannot start the ${codec.name} decoder: ${String(err)}`));
      return undefined;
    }
  }

  /** Decoder PTS (seconds on its own clock) → session media time. */
  #toSession(decoder: RtpTrackDecoder, pts: number): number {
    return pts + (decoder.startedAtMs - this.#originMs) / 1000;
  }

  #deliver(kind: TrackKind, decoder: RtpTrackDecoder, item: MediaItem): void {
    if (!this.#subscriber || this.#state === 'done') return;
    this.#subscriber.next({ ...item, pts: this.#toSession(decoder, item.pts) + this.#lipSync.offset(kind) });
  }

  #trackEnded(error?: AffectStreamError): void {
    if (error) {
      this.fail(error);
      return;
    }
    if (this.#state === 'draining') {
      this.#drainingTracks -= 1;
      if (this.#drainingTracks === 0) this.#complete();
    } else if (this.#state === 'live') {
      this.fail(new AffectStreamError('decode_failed', `${this.#label}: a decoder stopped while the session was live`));
    }
  }

  #complete(): void {
    const subscriber = this.#subscriber;
    this.#stop();
    subscriber?.complete();
  }

  #checkLiveness(): void {
    const now = performance.now();
    for (const kind of ['audio', 'video'] as const) {
      if (!this.layout[kind]) continue;
      const last = this.#lastPacketMs.get(kind);
      const silentMs = now - (last ?? this.#originMs);
      const limitS = last === undefined ? this.#options.firstMediaTimeoutSeconds : this.#options.noMediaTimeoutSeconds;
      if (silentMs < limitS * 1000) continue;
      const what = last === undefined ? `no ${kind} arrived within ${limitS} s` : `no ${kind} for ${limitS} s`;
      this.fail(new AffectStreamError('peer_lost', `${this.#label}: ${what}: the peer stopped sending`, { retryable: true }));
      return;
    }
  }

  #stop(): void {
    this.#state = 'done';
    this.#subscriber = undefined;
    clearInterval(this.#watchdog);
    for (const decoder of this.#decoders.values()) decoder.close();
  }
}
