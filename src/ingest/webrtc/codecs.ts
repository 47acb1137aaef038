/**
 * The codecs WebRTC ingest accepts, in the two vocabularies that need them: werift's codec parameters
 * for negotiation, and the GStreamer elements that depacketize and decode each one. OBS publishes
 * H.264 (constrained baseline, packetization-mode 1) + Opus; browsers prefer VP8.
 */
import { RTCRtpCodecParameters, useH264, useOPUS, useVP8 } from 'werift';

export type CodecName = 'VP8' | 'H264' | 'OPUS';

export interface CodecSpec {
  readonly name: CodecName;
  readonly kind: 'video' | 'audio';
  readonly clockRate: number;
  /** Depayloader and decoder, from RTP to raw media. */
  readonly depayDecode: string;
}

const SPECS: Record<CodecName, CodecSpec> = {
  // Waiting for a keyframe after loss keeps a broken reference from turning into smeared frames; the
  // keyframe itself is asked for by the session (RTCP PLI), since appsrc cannot carry GStreamer's own
  // upstream request back to the sender.
  VP8: { name: 'VP8', kind: 'video', clockRate: 90000, depayDecode: 'rtpvp8depay wait-for-keyframe=true ! vp8dec' },
  H264: { name: 'H264', kind: 'video', clockRate: 90000, depayDecode: 'rtph264depay wait-for-keyframe=true ! h264parse ! avdec_h264' },
  OPUS: { name: 'OPUS', kind: 'audio', clockRate: 48000, depayDecode: 'rtpopusdepay ! opusdec plc=true' },
};

/** The spec for a negotiated codec's MIME type (`video/VP8`, `audio/opus`…), or undefined if unsupported. */
export function codecSpecOf(mimeType: string): CodecSpec | undefined {
  const name = mimeType.split('/')[1]?.toUpperCase();
  return name !== undefined && name in SPECS ? SPECS[name as CodecName] : undefined;
}

/** Codec lists for werift: VP8 first (browsers' usual pick), H.264 for OBS, Opus for audio. */
export function negotiatedCodecs(): { video: RTCRtpCodecParameters[]; audio: RTCRtpCodecParameters[] } {
  return {
    video: [useVP8(), useH264({ parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1' })],
    audio: [useOPUS()],
  };
}

/** appsrc caps for RTP of `codec` with payload type `payloadType`. */
export function rtpCaps(codec: CodecSpec, payloadType: number): string {
  return `application/x-rtp,media=${codec.kind},encoding-name=${codec.name},clock-rate=${codec.clockRate},payload=${payloadType}`;
}
