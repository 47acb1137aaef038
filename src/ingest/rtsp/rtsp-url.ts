/**
 * RTSP URLs: credentials may come in the URL (`rtsp://user:pass@host/path`) or from the config; the
 * URL given to GStreamer and shown anywhere (logs, the control API) never carries them.
 */
import { AffectStreamError } from '../../core/errors.js';

export interface RtspTarget {
  /** `rtsp:` or `rtsps:` URL without user information. */
  readonly url: string;
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
}

export function isRtspUri(uri: string): boolean {
  return /^rtsps?:\/\//i.test(uri);
}

export function parseRtspTarget(uri: string, credentials: { user?: string | undefined; password?: string | undefined } = {}): RtspTarget {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new AffectStreamError('invalid_argument', `not a valid RTSP URL: ${redactUri(uri)}`);
  }
  const secure = parsed.protocol.toLowerCase() === 'rtsps:';
  if (!secure && parsed.protocol.toLowerCase() !== 'rtsp:') throw new AffectStreamError('invalid_argument', `not an RTSP URL: ${redactUri(uri)}`);
  if (parsed.hostname === '') throw new AffectStreamError('invalid_argument', `an RTSP URL needs a host: ${redactUri(uri)}`);
  const user = credentials.user ?? (parsed.username === '' ? undefined : decodeURIComponent(parsed.username));
  const password = credentials.password ?? (parsed.password === '' ? undefined : decodeURIComponent(parsed.password));
  parsed.username = '';
  parsed.password = '';
  const port = parsed.port === '' ? (secure ? 322 : 554) : Number(parsed.port);
  return { url: parsed.href, secure, host: parsed.hostname.replace(/^\[|\]$/g, ''), port, user, password };
}

/** The URI with any password replaced, for logs, events and listings. */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@:]*):[^/@]*@/i, '$1$2:***@');
}
