/**
 * The tracks of an RTSP feed from its SDP: the first video and the first audio media section, each
 * with its RTP encoding name (from `a=rtpmap`, or the static payload type: 0 PCMU, 8 PCMA).
 */
import { AffectStreamError } from '../../core/errors.js';

export interface SdpTrack {
  /** RTP encoding name, upper case: H264, H265, MPEG4-GENERIC, MP4A-LATM, OPUS, PCMA, PCMU, … */
  readonly encoding: string;
  readonly payloadType: number;
}

export interface SdpTracks {
  readonly video: SdpTrack | undefined;
  readonly audio: SdpTrack | undefined;
}

const STATIC_PAYLOADS: Record<number, string> = { 0: 'PCMU', 8: 'PCMA', 14: 'MPA', 26: 'JPEG', 32: 'MPV' };

export function parseSdp(sdp: string, url: string): SdpTracks {
  const tracks: { video?: SdpTrack; audio?: SdpTrack } = {};
  let current: { kind: string; payloadType: number; encoding?: string } | undefined;
  const close = () => {
    if (!current || (current.kind !== 'video' && current.kind !== 'audio')) return;
    const kind = current.kind;
    const encoding = current.encoding ?? STATIC_PAYLOADS[current.payloadType];
    if (encoding && !tracks[kind]) tracks[kind] = { encoding: encoding.toUpperCase(), payloadType: current.payloadType };
  };
  for (const line of sdp.split(/\r?\n/)) {
    const media = /^m=(\w+) \d+(?:\/\d+)? \S+ (\d+)/.exec(line);
    if (media) {
      close();
      current = { kind: media[1]!, payloadType: Number(media[2]) };
      continue;
    }
    const rtpmap = /^a=rtpmap:(\d+) ([^/\s]+)/.exec(line);
    if (rtpmap && current && Number(rtpmap[1]) === current.payloadType) current.encoding = rtpmap[2];
  }
  close();
  if (!tracks.video && !tracks.audio) throw new AffectStreamError('unsupported_media', `no audio or video stream in ${url} (its SDP lists none we know)`);
  return { video: tracks.video, audio: tracks.audio };
}
