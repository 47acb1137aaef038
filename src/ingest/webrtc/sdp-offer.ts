/**
 * First look at an SDP offer before werift sees it: werift parses leniently, so text that is not SDP,
 * or SDP with nothing to receive, is caught here with an error that says which (HTTP 400 vs 422).
 */
import { AffectStreamError } from '../../core/errors.js';

export interface OfferSummary {
  /** Kinds of the offer's media sections, in order (`audio`, `video`, `application`…). */
  readonly media: string[];
}

const SDP_LINE = /^[a-z]=\S/;

export function checkOffer(sdp: string): OfferSummary {
  const lines = sdp.split(/\r?\n/).filter((line) => line !== '');
  if (lines[0] !== 'v=0') throw new AffectStreamError('invalid_argument', 'malformed SDP: an offer starts with "v=0"');
  const bad = lines.find((line) => !SDP_LINE.test(line));
  if (bad !== undefined) throw new AffectStreamError('invalid_argument', `malformed SDP: not an SDP line: ${JSON.stringify(bad.slice(0, 60))}`);
  if (!lines.some((line) => line.startsWith('o=')) || !lines.some((line) => line.startsWith('s='))) {
    throw new AffectStreamError('invalid_argument', 'malformed SDP: the session lacks its o= or s= line');
  }
  const media = lines.filter((line) => line.startsWith('m=')).map((line) => line.slice(2).split(' ')[0] ?? '');
  if (!media.includes('audio') && !media.includes('video')) {
    throw new AffectStreamError('unsupported_media', 'the offer has no audio or video to receive');
  }
  return { media };
}

export interface TrickleFragment {
  readonly ufrag: string | undefined;
  readonly candidates: Array<{ candidate: string; sdpMid: string | undefined }>;
  readonly endOfCandidates: boolean;
}

/** Parses an `application/trickle-ice-sdpfrag` body (RFC 8840) as WHIP clients PATCH it. */
export function parseTrickleFragment(fragment: string): TrickleFragment {
  let ufrag: string | undefined;
  let mid: string | undefined;
  let endOfCandidates = false;
  const candidates: Array<{ candidate: string; sdpMid: string | undefined }> = [];
  for (const line of fragment.split(/\r?\n/)) {
    if (line === '') continue;
    if (!SDP_LINE.test(line)) throw new AffectStreamError('invalid_argument', `malformed SDP fragment: ${JSON.stringify(line.slice(0, 60))}`);
    if (line.startsWith('a=ice-ufrag:')) ufrag = line.slice('a=ice-ufrag:'.length);
    else if (line.startsWith('a=mid:')) mid = line.slice('a=mid:'.length);
    else if (line.startsWith('a=candidate:')) candidates.push({ candidate: line.slice(2), sdpMid: mid });
    else if (line === 'a=end-of-candidates') endOfCandidates = true;
  }
  return { ufrag, candidates, endOfCandidates };
}

/** The session-level or first ice-ufrag of an SDP. */
export function iceUfragOf(sdp: string): string | undefined {
  return /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
}
