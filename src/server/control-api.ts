/**
 * The control API of `serve` over node:http: add, list, inspect and remove streams while the server
 * runs.
 *
 *   POST   /v1/streams       {"id"?, "source", "options"?} → 201 {"id", "stream"}, Location /v1/streams/<id>
 *   GET    /v1/streams       → 200 {"streams": [...]}
 *   GET    /v1/streams/<id>  → 200 the stream
 *   DELETE /v1/streams/<id>  → 200 the stream's last figures; its pipeline and sockets are freed
 *
 * Request bodies are validated (zod) and every error is `{"error": code, "message"}` with a 4xx that
 * says what to fix; a bearer token is required when one is configured.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { toAffectStreamError } from '../core/errors.js';
import { rtspOptionsSchema, type RtspOptionsInput } from '../ingest/rtsp/rtsp-options.js';
import { isRtspUri } from '../ingest/rtsp/rtsp-url.js';
import { logger } from '../core/logger.js';
import type { StreamInfo, StreamRegistry } from './stream-registry.js';
import type { TokenAuth } from '../sink/auth.js';
import { HttpError, readBody } from '../core/http-exchange.js';

export interface ControlApiOptions {
  /** When set, every request must carry `Authorization: Bearer <token>` (or a full-access feed token). */
  readonly token: string | undefined;
  /**
   * The server's feed tokens (`--token`): when some are configured, a token without a stream limit is
   * also accepted here, and some token is required even without `token`.
   */
  readonly feedAuth: TokenAuth | undefined;
  /** Streams at once (all origins); a POST beyond this gets 503. */
  readonly maxStreams: number;
  readonly maxBodyBytes: number;
}

export const DEFAULT_CONTROL_API_OPTIONS: Readonly<ControlApiOptions> = Object.freeze({
  token: undefined,
  feedAuth: undefined,
  maxStreams: 64,
  maxBodyBytes: 64 * 1024,
});

export const STREAM_ID = /^[A-Za-z0-9._-]{1,64}$/;

export const streamRequestSchema = z
  .object({
    id: z.string().regex(STREAM_ID, 'a stream id is 1–64 characters of A–Z a–z 0–9 . _ -').optional(),
    source: z.string().min(1, 'give a URI or a file path').max(4096),
    options: rtspOptionsSchema.optional(),
  })
  .strict()
  .refine((r) => r.options === undefined || isRtspUri(r.source), { message: 'options apply to rtsp:// and rtsps:// sources only', path: ['options'] });

export interface StreamRequest {
  readonly id: string | undefined;
  readonly source: string;
  readonly options: RtspOptionsInput | undefined;
}

/** Starts the stream (or throws a typed error: a missing file, a bad URI) and returns its id. */
export type StartStream = (request: StreamRequest) => string;

const PREFIX = '/v1/streams';

export class ControlApi {
  readonly #options: ControlApiOptions;
  readonly #registry: StreamRegistry;
  readonly #start: StartStream;

  constructor(options: Partial<ControlApiOptions>, registry: StreamRegistry, start: StartStream) {
    this.#options = { ...DEFAULT_CONTROL_API_OPTIONS, ...options };
    if (this.#options.token === '') throw new TypeError('the API token must not be empty');
    this.#registry = registry;
    this.#start = start;
  }

  handles(request: IncomingMessage): boolean {
    const path = (request.url ?? '').split('?')[0]!;
    return path === PREFIX || path.startsWith(`${PREFIX}/`);
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    this.#route(request, response).catch((err: unknown) => {
      const http = err instanceof HttpError ? err : httpErrorOf(err);
      if (http.status >= 500) logger.error({ err: http.message }, 'control API request failed');
      if (response.headersSent) return response.destroy();
      send(response, http.status, { error: http.code, message: http.message }, http.headers);
    });
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.#authorize(request);
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const rest = path.slice(PREFIX.length).replace(/^\//, '');
    if (rest === '') {
      if (request.method === 'GET') return send(response, 200, { streams: this.#registry.list() });
      if (request.method === 'POST') return this.#post(request, response);
      throw new HttpError(405, 'method_not_allowed', 'use GET or POST on /v1/streams', { allow: 'GET, POST' });
    }
    if (rest.includes('/')) throw new HttpError(404, 'not_found', 'stream URLs are /v1/streams/<id>');
    const id = decodeURIComponent(rest);
    if (request.method === 'GET') return send(response, 200, this.#existing(id, this.#registry.get(id)));
    if (request.method === 'DELETE') {
      const last = this.#existing(id, this.#registry.remove(id));
      logger.info({ stream: id }, 'stream deleted');
      return send(response, 200, last);
    }
    throw new HttpError(405, 'method_not_allowed', 'use GET or DELETE on /v1/streams/<id>', { allow: 'GET, DELETE' });
  }

  async #post(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json');
    const text = await readBody(request, this.#options.maxBodyBytes);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new HttpError(400, 'invalid_json', `the body is not JSON: ${(err as Error).message}`);
    }
    const parsed = streamRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
      throw new HttpError(400, 'invalid_argument', issues);
    }
    const { id, source, options } = parsed.data;
    if (id !== undefined && this.#registry.isLive(id)) throw new HttpError(409, 'conflict', `stream ${id} already exists: DELETE it first or choose another id`);
    if (this.#registry.liveCount >= this.#options.maxStreams) throw new HttpError(503, 'busy', `at most ${this.#options.maxStreams} streams at once`, { 'retry-after': '5' });
    const started = this.#start({ id, source, options });
    logger.info({ stream: started }, 'stream added');
    send(response, 201, { id: started, stream: this.#registry.get(started) }, { location: `${PREFIX}/${encodeURIComponent(started)}` });
  }

  #existing(id: string, info: StreamInfo | undefined): StreamInfo {
    if (!info) throw new HttpError(404, 'not_found', `no stream ${id}`);
    return info;
  }

  #authorize(request: IncomingMessage): void {
    const { token, feedAuth } = this.#options;
    const feedTokens = feedAuth?.enabled === true;
    if (token === undefined && !feedTokens) return;
    const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (token !== undefined) {
      const a = createHash('sha256').update(given).digest();
      const b = createHash('sha256').update(token).digest();
      if (timingSafeEqual(a, b)) return;
    }
    if (feedTokens) {
      const result = feedAuth.authorize(request, { admin: true });
      if (result.ok) return;
      if (result.status === 403) throw new HttpError(403, 'forbidden', `${result.message}: the control API needs a token without a stream limit`);
    }
    throw new HttpError(401, 'unauthorized', 'a valid bearer token is required', { 'www-authenticate': 'Bearer realm="affectstream"' });
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Typed errors of starting a stream → HTTP: a source that is not there 422, a bad one 400. */
function httpErrorOf(err: unknown): HttpError {
  const e = toAffectStreamError(err);
  if (e.code === 'invalid_argument') return new HttpError(400, e.code, e.message);
  if (e.code === 'source_not_found' || e.code === 'unsupported_media') return new HttpError(422, e.code, e.message);
  return new HttpError(500, e.code, e.message);
}
