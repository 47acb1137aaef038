/**
 * Bearer tokens for the event feed and the HTTP API. A token has a name (what logs and metrics may
 * show: the secret never is), a secret, and optionally the streams it may read. A request carries the
 * secret in `Authorization: Bearer …` or, for browsers (whose WebSocket cannot set headers), in
 * `?token=`. Secrets are compared through their SHA-256 digests with `timingSafeEqual`, against every
 * configured token without stopping at a match, so the time taken says nothing about any secret.
 * No tokens configured: everything is open (serve binds to loopback by default).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { AffectStreamError } from '../core/errors.js';

export interface TokenSpec {
  /** Shown in logs and metrics instead of the secret. */
  readonly name: string;
  readonly secret: string;
  /** Streams the token may read; absent: all (and the admin routes, such as /metrics). */
  readonly streams?: readonly string[] | undefined;
}

export const tokenSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a token name is 1–64 characters of A–Z a–z 0–9 . _ -'),
  secret: z.string().min(16, 'a token secret needs at least 16 characters').max(512).regex(/^[\x21-\x7e]+$/, 'a token secret is printable ASCII without spaces'),
  streams: z.array(z.string().min(1).max(256)).min(1).optional(),
});

/** Who a request is: a token's name and what it may read (`streams: null`: everything). */
export interface Principal {
  readonly name: string;
  readonly streams: ReadonlySet<string> | null;
}

export type AuthResult = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly status: 401 | 403; readonly error: 'unauthorized' | 'forbidden'; readonly message: string };

/** Open access, when no token is configured. */
const ANONYMOUS: Principal = Object.freeze({ name: 'anonymous', streams: null });

interface StoredToken {
  readonly principal: Principal;
  readonly digest: Buffer;
}

const digestOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

export class TokenAuth {
  readonly #tokens: StoredToken[];

  constructor(tokens: readonly TokenSpec[]) {
    const names = new Set<string>();
    this.#tokens = tokens.map((spec) => {
      const t = tokenSpecSchema.safeParse(spec);
      if (!t.success) throw new TypeError(`invalid token ${JSON.stringify(spec.name)}: ${t.error.issues.map((i) => `${i.path.join('.') || 'token'}: ${i.message}`).join('; ')}`);
      if (names.has(spec.name)) throw new TypeError(`two tokens are named ${JSON.stringify(spec.name)}`);
      names.add(spec.name);
      return { principal: Object.freeze({ name: spec.name, streams: spec.streams ? new Set(spec.streams) : null }), digest: digestOf(spec.secret) };
    });
  }

  /** True when tokens are configured (requests must carry one). */
  get enabled(): boolean {
    return this.#tokens.length > 0;
  }

  /** The token's principal, or undefined for an unknown secret. */
  identify(secret: string): Principal | undefined {
    const digest = digestOf(secret);
    let found: Principal | undefined;
    for (const token of this.#tokens) if (timingSafeEqual(token.digest, digest) && !found) found = token.principal;
    return found;
  }

  /**
   * Checks a request: 401 without a valid token; 403 when the token may not read `stream`, or when
   * `admin` routes (every stream) are asked for with a token limited to some streams.
   */
  authorize(request: IncomingMessage, need: { readonly stream?: string; readonly admin?: boolean } = {}): AuthResult {
    if (!this.enabled) return { ok: true, principal: ANONYMOUS };
    const secret = secretOf(request);
    const principal = secret === undefined ? undefined : this.identify(secret);
    if (!principal) return { ok: false, status: 401, error: 'unauthorized', message: secret === undefined ? 'a bearer token is required' : 'the bearer token is not valid' };
    if (need.admin && principal.streams) return { ok: false, status: 403, error: 'forbidden', message: `token ${principal.name} is limited to some streams` };
    if (need.stream !== undefined && !canRead(principal, need.stream)) return { ok: false, status: 403, error: 'forbidden', message: `token ${principal.name} may not read stream ${need.stream}` };
    return { ok: true, principal };
  }
}

export function canRead(principal: Principal, stream: string): boolean {
  return principal.streams === null || principal.streams.has(stream);
}

/** The secret from `Authorization: Bearer …`, else from `?token=`. */
export function secretOf(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1] : '';
  }
  const query = (request.url ?? '').split('?')[1];
  if (query === undefined) return undefined;
  return new URLSearchParams(query).get('token') ?? undefined;
}

/** Writes a failed AuthResult as the JSON error body every route uses. */
export function sendAuthError(response: ServerResponse, result: Extract<AuthResult, { ok: false }>): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (result.status === 401) headers['www-authenticate'] = 'Bearer';
  response.writeHead(result.status, headers).end(JSON.stringify({ error: result.error, message: result.message }));
}

/** Parses `NAME:SECRET[:stream,stream]` (the `--token` flag). */
export function parseTokenFlag(value: string): TokenSpec {
  const parts = value.split(':');
  if (parts.length < 2 || parts.length > 3) throw new AffectStreamError('invalid_argument', 'invalid options: --token takes NAME:SECRET or NAME:SECRET:stream,stream');
  const [name, secret, streams] = parts as [string, string, string | undefined];
  const spec: TokenSpec = { name, secret, ...(streams === undefined ? {} : { streams: streams.split(',').filter((s) => s.length > 0) }) };
  const t = tokenSpecSchema.safeParse(spec);
  // The secret is never echoed back: the message names the token and the field only.
  if (!t.success) throw new AffectStreamError('invalid_argument', `invalid options: --token ${name}: ${t.error.issues.map((i) => `${i.path.join('.') || 'token'}: ${i.message}`).join('; ')}`);
  return t.data;
}
