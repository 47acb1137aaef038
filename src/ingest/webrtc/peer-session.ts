/**
 * One WebRTC session that receives media: a werift peer connection and the session's media. The peer
 * side routes RTP and sender reports into SessionMedia, sends keyframe requests back, and turns the
 * connection's fate into the session's: closed → the stream ends; failed → a `peer_lost` error.
 * WHIP (answering a publisher's offer) and WHEP (offering to a media server) both end up here.
 */
import { randomUUID } from 'node:crypto';
import { RTCPeerConnection, RtcpSrPacket, type MediaStreamTrack, type RTCPeerConnectionConfig, type RTCRtpTransceiver } from 'werift';
import { AffectStreamError } from '../../core/errors.js';
import { logger } from '../../core/logger.js';
import type { TrackLayout } from '../../core/media.js';
import { codecSpecOf, negotiatedCodecs } from './codecs.js';
import type { TrackKind } from './lip-sync.js';
import { iceUfragOf, parseTrickleFragment } from './sdp-offer.js';
import { SessionMedia, type SessionMediaOptions } from './session-media.js';

export interface PeerOptions {
  /** Host addresses to offer besides the machine's interfaces; loopback is not among those by default. */
  readonly extraHostAddresses: readonly string[];
  /** Longest wait for ICE candidate gathering before answering with what there is. */
  readonly gatherTimeoutMs: number;
}

export const DEFAULT_PEER_OPTIONS: Readonly<PeerOptions> = Object.freeze({ extraHostAddresses: ['127.0.0.1'], gatherTimeoutMs: 3000 });

/** No STUN/TURN: sessions run on loopback and LAN host candidates (these machines have no outside network). */
export function receiverPeerConfig(options: PeerOptions): RTCPeerConnectionConfig {
  return {
    codecs: negotiatedCodecs(),
    iceServers: [],
    iceAdditionalHostAddresses: [...options.extraHostAddresses],
    iceUseIpv6: false,
    bundlePolicy: 'max-bundle',
  };
}

export async function waitForGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const { unSubscribe } = pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') done();
    });
    function done() {
      clearTimeout(timer);
      unSubscribe();
      resolve();
    }
  });
}

/** Which kinds the negotiated session receives with a codec we decode. */
export function receivedLayout(transceivers: readonly RTCRtpTransceiver[]): TrackLayout {
  const receives = (kind: TrackKind) =>
    transceivers.some((t) => t.kind === kind && (t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv') && t.codecs.some((c) => codecSpecOf(c.mimeType)?.kind === kind));
  return { audio: receives('audio'), video: receives('video') };
}

export class WebRtcSession {
  readonly id = randomUUID();
  readonly pc: RTCPeerConnection;
  readonly label: string;
  #media: SessionMedia | undefined;
  #closed = false;

  /** `pc` must be fresh: tracks are wired before negotiation so no packet is missed. */
  constructor(pc: RTCPeerConnection, label: string) {
    this.pc = pc;
    this.label = label;
    pc.onTrack.subscribe((track) => this.#wireTrack(track));
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed') this.#media?.fail(new AffectStreamError('peer_lost', `${label}: the WebRTC connection failed (ICE or DTLS)`, { retryable: true }));
      else if (state === 'closed') this.end();
    });
  }

  /** Call once negotiation is complete: fixes the track layout and creates the media side. */
  startMedia(options: Partial<SessionMediaOptions>): SessionMedia {
    if (this.#media) return this.#media;
    const layout = receivedLayout(this.pc.getTransceivers());
    if (!layout.audio && !layout.video) {
      throw new AffectStreamError('unsupported_media', `${this.label}: no audio or video track with a codec we decode (VP8, H.264, Opus)`);
    }
    this.#media = new SessionMedia(layout, {
      mimeTypeOf: (kind, pt) => this.pc.getTransceivers().find((t) => t.kind === kind)?.codecs.find((c) => c.payloadType === pt)?.mimeType,
      requestKeyframe: (kind, ssrc) => {
        const transceiver = this.pc.getTransceivers().find((t) => t.kind === kind);
        transceiver?.receiver.sendRtcpPLI(ssrc).catch((err: unknown) => logger.debug({ stream: this.label, err: String(err) }, 'PLI not sent'));
      },
    }, this.label, options);
    return this.#media;
  }

  get media(): SessionMedia | undefined {
    return this.#media;
  }

  /** Trickle ICE (WHIP PATCH): adds the fragment's candidates; an ICE restart is not supported. */
  async addTrickle(fragment: string): Promise<void> {
    const parsed = parseTrickleFragment(fragment);
    const current = iceUfragOf(this.pc.remoteDescription?.sdp ?? '');
    if (parsed.ufrag !== undefined && current !== undefined && parsed.ufrag !== current) {
      throw new AffectStreamError('unsupported_media', `${this.label}: ICE restart is not supported; start a new session`);
    }
    for (const c of parsed.candidates) await this.pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? null });
  }

  /** The peer is done (WHIP DELETE, connection closed): the stream ends cleanly. */
  end(): void {
    this.#media?.end();
    void this.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pc.close().catch(() => undefined);
  }

  #wireTrack(track: MediaStreamTrack): void {
    const kind = track.kind as TrackKind;
    if (kind !== 'audio' && kind !== 'video') return;
    track.onReceiveRtp.subscribe((rtp) => {
      const h = rtp.header;
      this.#media?.rtp(kind, { payloadType: h.payloadType, sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, ssrc: h.ssrc, bytes: rtp.serialize() });
    });
    track.onReceiveRtcp.subscribe((rtcp) => {
      if (rtcp instanceof RtcpSrPacket) this.#media?.senderReport(kind, rtcp.senderInfo.ntpTimestamp, rtcp.senderInfo.rtpTimestamp);
    });
  }
}

/** WHIP: answers a publisher's offer. The caller gets the answer SDP to send back and the session. */
export async function answerOffer(offerSdp: string, label: string, peer: PeerOptions, media: Partial<SessionMediaOptions>): Promise<{ session: WebRtcSession; answerSdp: string }> {
  const pc = new RTCPeerConnection(receiverPeerConfig(peer));
  const session = new WebRtcSession(pc, label);
  try {
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    } catch (err) {
      throw new AffectStreamError('invalid_argument', `malformed SDP offer: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const t of pc.getTransceivers()) if (t.direction === 'sendrecv' || t.direction === 'sendonly') t.setDirection('recvonly');
    await pc.setLocalDescription(await pc.createAnswer());
    await waitForGathering(pc, peer.gatherTimeoutMs);
    session.startMedia(media);
    const answerSdp = pc.localDescription?.sdp;
    if (!answerSdp) throw new AffectStreamError('internal', `${label}: werift produced no answer`);
    return { session, answerSdp };
  } catch (err) {
    await session.close();
    throw err;
  }
}
