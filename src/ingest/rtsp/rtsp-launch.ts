/**
 * The GStreamer graph of one RTSP connection (run in a decoder process): rtspsrc with the transport,
 * latency and credentials asked for, then per track of the SDP an explicit depayloader → parser → decoder chain (cheaper than
 * decodebin; decodebin only for encodings not listed here) into the same sink bins as file decoding.
 * Only the tracks the SDP lists get a branch, so no sink waits for a track that never comes.
 */
import type { DecodeOptions } from '../gst-source.js';
import { audioConvertBin, videoConvertBin } from '../gst-source.js';
import type { SdpTrack, SdpTracks } from './sdp-tracks.js';
import type { RtspTarget } from './rtsp-url.js';

export type RtspTransport = 'tcp' | 'udp' | 'auto';

export interface RtspLaunchOptions {
  readonly transport: RtspTransport;
  /** rtspsrc's jitter buffer, ms: how long it waits for late or reordered packets. */
  readonly latencyMs: number;
  readonly tlsVerify: boolean;
}

const DEPAY_DECODE: Record<string, string> = {
  H264: 'rtph264depay ! h264parse ! avdec_h264',
  H265: 'rtph265depay ! h265parse ! avdec_h265',
  'MPEG4-GENERIC': 'rtpmp4gdepay ! aacparse ! avdec_aac',
  'MP4A-LATM': 'rtpmp4adepay ! aacparse ! avdec_aac',
  OPUS: 'rtpopusdepay ! opusdec',
  PCMA: 'rtppcmadepay ! alawdec',
  PCMU: 'rtppcmudepay ! mulawdec',
};

const PROTOCOLS: Record<RtspTransport, string> = { tcp: 'tcp', udp: 'udp', auto: 'tcp+udp-mcast+udp' };

/** A launch-string value in double quotes (gst_parse takes backslash escapes inside quotes). */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function chainOf(track: SdpTrack): string {
  return DEPAY_DECODE[track.encoding] ?? 'decodebin';
}

export function rtspLaunchString(target: RtspTarget, tracks: SdpTracks, options: RtspLaunchOptions, decode: Pick<DecodeOptions, 'fps' | 'width' | 'audioChunkSeconds'>): string {
  // Credentials go percent-encoded into the location (rtspsrc decodes them): no quote or backslash
  // in them can break the launch string.
  const location = new URL(target.url);
  if (target.user !== undefined) location.username = encodeURIComponent(target.user);
  if (target.password !== undefined) location.password = encodeURIComponent(target.password);
  const source = [
    'rtspsrc name=src',
    `location=${quoted(location.href)}`,
    `protocols=${PROTOCOLS[options.transport]}`,
    `latency=${Math.round(options.latencyMs)}`,
    // Keep-alives stop servers from dropping a quiet session; no buffering mode games on live feeds.
    'do-rtsp-keep-alive=true',
  ];
  if (target.secure && !options.tlsVerify) source.push('tls-validation-flags=0');
  const branches: string[] = [];
  // Live: sinks never sync to the clock; frames go on as soon as they are decoded. gdppay carries each
  // buffer's timestamp, caps and segment to the parent process.
  const sink = (name: string, maxBuffers: number) => `gdppay ! appsink name=${name} sync=false max-buffers=${maxBuffers} drop=false enable-last-sample=false wait-on-eos=true`;
  if (tracks.video) branches.push(`src. ! application/x-rtp,media=video ! ${chainOf(tracks.video)} ! ${videoConvertBin(decode, true)} ! ${sink('video', 4)}`);
  if (tracks.audio) branches.push(`src. ! application/x-rtp,media=audio ! ${chainOf(tracks.audio)} ! ${audioConvertBin(decode)} ! ${sink('audio', 16)}`);
  return `${source.join(' ')} ${branches.join(' ')}`;
}
