/**
 * WHIP (RFC 9725) over node:http: `POST /whip/<stream>` with an SDP offer starts a session and answers
 * `201 Created` with the SDP answer and the session's URL in `Location`; `PATCH` on that URL adds
 * trickled ICE candidates; `DELETE` ends the session, and the stream's events end with status
 * `ended`. Each session is one stream of the pipeline: `analyse` turns its media into events, and
 * every event goes to `publish`. A failing session never affects the others or the server.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observable, Subscription } from 'rxjs';
import { toAffectStreamError } from '../../core/errors.js';
import { logger } from '../../core/logger.js';
import type { StreamEvent } from '../../core/events.js';
import { answerOffer, DEFAULT_PEER_OPTIONS, type PeerOptions, type WebRtcSession } from './peer-session.js';
import { checkOffer } from './sdp-offer.js';
import type { SessionMediaOptions } from './session-media.js';
import { HttpError, readBody } from '../../core/http-exchange.js';
import type { IngestItem } from '../../core/media.js';

export interface WhipEndpointOptions {
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  readonly token: string | undefined;
  /** Sessions at once; more get 503. */
  readonly maxSessions: number;
  readonly maxOfferBytes: number;
  readonly peer: PeerOptions;
  readonly media: Partial<SessionMediaOptions>;
}

export const DEFAULT_WHIP_OPTIONS: Readonly<WhipEndpointOptions> = Object.freeze({
  token: undefined,
  maxSessions: 16,
  maxOfferBytes: 64 * 1024,
  peer: DEFAULT_PEER_OPTIONS,
  media: {},
});

export type AnalyseSession = (stream: string, media: Observable<IngestItem>) => Observable<StreamEvent>;

const PREFIX = '/whip/';
const STREAM_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Browsers publish from pages on other origins; Location must be readable by their script. */
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, PATCH, DELETE, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, if-match',
  'access-control-expose-headers': 'location, etag, link, accept-post',
};

interface LiveSession {
  readonly stream: string;
  readonly session: WebRtcSession;
  /** Settles when the session's stream has sent its last event. */
  readonly done: Promise<void>;
  subscription?: Subscription;
}

/** How long shutdown waits for ended sessions to deliver their last windows. */
const CLOSE_GRACE_MS = 3000;

export class WhipEndpoint {
  readonly #options: WhipEndpointOptions;
  readonly #analyse: AnalyseSession;
  readonly #publish: (event: StreamEvent) => void;
  readonly #sessions = new Map<string, LiveSession>();
  /** Streams with a session being negotiated or live: a second publisher to one name gets 409. */
  readonly #streams = new Set<string>();
  #closed = false;

  constructor(options: Partial<WhipEndpointOptions>, analyse: AnalyseSession, publish: (event: StreamEvent) => void) {
    this.#options = { ...DEFAULT_WHIP_OPTIONS, ...options };
    if (this.#options.token === '') throw new TypeError('the WHIP token must not be empty');
    this.#analyse = analyse;
    this.#publish = publish;
  }

  handles(request: IncomingMessage): boolean {
    return (request.url ?? '').startsWith(PREFIX);
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    this.#route(request, response).catch((err: unknown) => {
      const http = err instanceof HttpError ? err : httpErrorOf(err);
      if (http.status >= 500) logger.error({ err: http.message }, 'WHIP request failed');
      if (response.headersSent) return response.destroy();
      response.writeHead(http.status, { ...CORS, ...http.headers, 'content-type': 'application/json' }).end(JSON.stringify({ error: http.code, message: http.message }));
    });
  }

  /** Ends every session (server shutdown); their streams end with status `ended`. */
  async close(): Promise<void> {
    this.#closed = true;
    const live = [...this.#sessions.values()];
    for (const s of live) s.session.end();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(live.map((s) => s.done)), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
    for (const s of live) s.subscription?.unsubscribe();
    await Promise.all(live.map((s) => s.session.close()));
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const [stream, sessionId, ...rest] = path.slice(PREFIX.length).split('/').map(decodeURIComponent);
    if (!stream || rest.length > 0) throw new HttpError(404, 'not_found', 'WHIP URLs are /whip/<stream> and /whip/<stream>/<session>');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, { ...CORS, 'accept-post': 'application/sdp' }).end();
      return;
    }
    this.#authorize(request);
    if (sessionId === undefined) {
      if (request.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'POST an SDP offer to /whip/<stream>', { allow: 'POST, OPTIONS' });
      await this.#post(stream, request, response);
      return;
    }
    const live = this.#sessions.get(sessionId);
    if (!live || live.stream !== stream) throw new HttpError(404, 'not_found', `no WHIP session ${sessionId} for stream ${stream}`);
    if (request.method === 'DELETE') {
      live.session.end();
      response.writeHead(200, CORS).end();
    } else if (request.method === 'PATCH') {
      requireContentType(request, 'application/trickle-ice-sdpfrag');
      await live.session.addTrickle(await readBody(request, this.#options.maxOfferBytes));
      response.writeHead(204, CORS).end();
    } else {
      throw new HttpError(405, 'method_not_allowed', 'a WHIP session URL takes PATCH and DELETE', { allow: 'PATCH, DELETE, OPTIONS' });
    }
  }

  async #post(stream: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.#closed) throw new HttpError(503, 'closed', 'the server is shutting down');
    if (!STREAM_ID.test(stream)) throw new HttpError(400, 'invalid_argument', 'a stream name is 1–64 characters of A–Z a–z 0–9 . _ -');
    requireContentType(request, 'application/sdp');
    const offer = await readBody(request, this.#options.maxOfferBytes);
    checkOffer(offer);
    if (this.#streams.has(stream)) throw new HttpError(409, 'conflict', `stream ${stream} already has a live WHIP session`);
    if (this.#streams.size >= this.#options.maxSessions) throw new HttpError(503, 'busy', `at most ${this.#options.maxSessions} WHIP sessions at once`, { 'retry-after': '5' });
    this.#streams.add(stream);
    let answer: { session: WebRtcSession; answerSdp: string };
    try {
      answer = await answerOffer(offer, stream, this.#options.peer, this.#options.media);
    } catch (err) {
      this.#streams.delete(stream);
      throw err;
    }
    const { session, answerSdp } = answer;
    const media = session.media!;
    let settle = () => {};
    const live: LiveSession = { stream, session, done: new Promise<void>((resolve) => (settle = resolve)) };
    this.#sessions.set(session.id, live);
    const release = () => {
      this.#sessions.delete(session.id);
      this.#streams.delete(stream);
      void session.close();
      settle();
    };
    live.subscription = this.#analyse(stream, media.items()).subscribe({
      next: (event) => this.#publish(event),
      error: (err: unknown) => {
        const e = toAffectStreamError(err);
        this.#publish({ type: 'error', stream, code: e.code, message: e.message });
        this.#publish({ type: 'status', stream, state: 'failed', windows: 0 });
        release();
      },
      complete: release,
    });
    const location = `${PREFIX}${encodeURIComponent(stream)}/${session.id}`;
    logger.info({ stream, session: session.id, tracks: media.layout }, 'WHIP session started');
    response.writeHead(201, { ...CORS, 'content-type': 'application/sdp', location, etag: `"${session.id}"` }).end(answerSdp);
  }

  #authorize(request: IncomingMessage): void {
    const token = this.#options.token;
    if (token === undefined) return;
    const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new HttpError(401, 'unauthorized', 'a valid bearer token is required', { 'www-authenticate': 'Bearer realm="affectstream"' });
    }
  }
}

function requireContentType(request: IncomingMessage, type: string): void {
  const given = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (given !== type) throw new HttpError(415, 'unsupported_media_type', `Content-Type must be ${type}`);
}

/** Typed errors of negotiation → HTTP status: bad SDP 400, nothing we can receive 422. */
function httpErrorOf(err: unknown): HttpError {
  const e = toAffectStreamError(err);
  if (e.code === 'invalid_argument') return new HttpError(400, e.code, e.message);
  if (e.code === 'unsupported_media') return new HttpError(422, e.code, e.message);
  return new HttpError(500, e.code, e.message);
}
