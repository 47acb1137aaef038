/**
 * The call bot: pulls a call's audio and video from a WHEP endpoint (an SFU or media server). It offers
 * to receive one audio and one video track, POSTs the offer, applies the answer, and hands the session's
 * media on like any other source. Unsubscribing ends the session with a DELETE on its URL.
 */
import { Observable, type Subscription } from 'rxjs';
import { RTCPeerConnection } from 'werift';
import { AffectStreamError, toAffectStreamError } from '../../core/errors.js';
import { logger } from '../../core/logger.js';
import { DEFAULT_PEER_OPTIONS, receiverPeerConfig, waitForGathering, WebRtcSession, type PeerOptions } from './peer-session.js';
import type { SessionMediaOptions } from './session-media.js';
import type { IngestItem } from '../../core/media.js';

export interface WhepOptions {
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token: string | undefined;
  readonly requestTimeoutMs: number;
  readonly peer: PeerOptions;
  readonly media: Partial<SessionMediaOptions>;
}

export const DEFAULT_WHEP_OPTIONS: Readonly<WhepOptions> = Object.freeze({ token: undefined, requestTimeoutMs: 10_000, peer: DEFAULT_PEER_OPTIONS, media: {} });

const WHEP_SCHEME = /^whep\+(https?:\/\/.+)$/i;

/** `whep+http://host/path` → `http://host/path`; undefined for anything else. */
export function whepEndpointOf(source: string): string | undefined {
  return WHEP_SCHEME.exec(source)?.[1];
}

export function whepSource(endpoint: string, label: string, options: Partial<WhepOptions> = {}): Observable<IngestItem> {
  const opts: WhepOptions = { ...DEFAULT_WHEP_OPTIONS, ...options };
  return new Observable<IngestItem>((subscriber) => {
    let stopped = false;
    let session: WebRtcSession | undefined;
    let resource: string | undefined;
    let inner: Subscription | undefined;
    const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};

    (async () => {
      const pc = new RTCPeerConnection(receiverPeerConfig(opts.peer));
      session = new WebRtcSession(pc, label);
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });
      await pc.setLocalDescription(await pc.createOffer());
      await waitForGathering(pc, opts.peer.gatherTimeoutMs);
      const response = await post(endpoint, pc.localDescription?.sdp ?? '', auth, opts.requestTimeoutMs);
      const answer = await response.text();
      if (response.status !== 201 && response.status !== 200) throw statusError(endpoint, response.status, answer);
      resource = new URL(response.headers.get('location') ?? endpoint, endpoint).href;
      if (stopped) return;
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      inner = session.startMedia(opts.media).items().subscribe(subscriber);
    })().catch((err: unknown) => subscriber.error(toAffectStreamError(err, 'source_unreachable')));

    return () => {
      stopped = true;
      inner?.unsubscribe();
      void session?.close();
      if (resource) {
        fetch(resource, { method: 'DELETE', headers: auth, signal: AbortSignal.timeout(opts.requestTimeoutMs) }).catch((err: unknown) =>
          logger.debug({ resource, err: String(err) }, 'WHEP DELETE failed'),
        );
      }
    };
  });
}

async function post(endpoint: string, offer: string, headers: Record<string, string>, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(endpoint, { method: 'POST', headers: { ...headers, 'content-type': 'application/sdp' }, body: offer, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new AffectStreamError('source_unreachable', `source unreachable: WHEP endpoint ${endpoint}: ${err instanceof Error ? err.message : String(err)}`, { retryable: true, cause: err });
  }
}

function statusError(endpoint: string, status: number, body: string): AffectStreamError {
  const detail = `WHEP endpoint ${endpoint} answered ${status}${body ? `: ${body.slice(0, 200)}` : ''}`;
  if (status === 404) return new AffectStreamError('source_not_found', `source not found: ${detail}`);
  if (status === 401 || status === 403 || status === 400 || status === 422 || status === 415) return new AffectStreamError('invalid_argument', detail);
  return new AffectStreamError('source_unreachable', `source unreachable: ${detail}`, { retryable: status >= 500 });
}
