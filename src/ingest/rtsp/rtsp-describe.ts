/**
 * One RTSP DESCRIBE before GStreamer connects. It tells which tracks the feed has (the windows must
 * know whether to wait for audio, and rtspsrc's dynamic pads say so only once data flows) and which
 * codecs, and it turns the server's answer into a typed error by status code, not by GStreamer's
 * localised message text: 401 → unauthorized, 404 → source_not_found, refused/timeout → unreachable.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { AffectStreamError } from '../../core/errors.js';
import { parseSdp, type SdpTracks } from './sdp-tracks.js';
import type { RtspTarget } from './rtsp-url.js';

const MAX_RESPONSE_BYTES = 256 * 1024;

interface RtspResponse {
  readonly status: number;
  readonly reason: string;
  readonly headers: Map<string, string>;
  readonly body: string;
}

export interface DescribeOptions {
  readonly timeoutMs: number;
  /** Check the server's TLS certificate (rtsps). */
  readonly tlsVerify: boolean;
}

export async function describeRtsp(target: RtspTarget, options: DescribeOptions): Promise<SdpTracks> {
  const socket = await open(target, options);
  try {
    const reader = new ResponseReader(socket);
    let response = await request(socket, reader, target, 1, undefined, options.timeoutMs);
    if (response.status === 401 && target.user !== undefined) {
      const challenge = response.headers.get('www-authenticate') ?? '';
      response = await request(socket, reader, target, 2, authorization(challenge, target), options.timeoutMs);
    }
    if (response.status === 401) {
      const why = target.user === undefined ? 'the server wants credentials and none were given' : 'the credentials were refused';
      throw new AffectStreamError('unauthorized', `unauthorized: ${target.url}: 401 ${response.reason}: ${why}`);
    }
    if (response.status === 404) throw new AffectStreamError('source_not_found', `source not found: ${target.url}: 404 ${response.reason}`);
    if (response.status !== 200) {
      throw new AffectStreamError('source_unreachable', `source unreachable: ${target.url}: DESCRIBE answered ${response.status} ${response.reason}`, { retryable: response.status >= 500 });
    }
    return parseSdp(response.body, target.url);
  } finally {
    socket.destroy();
  }
}

function open(target: RtspTarget, options: DescribeOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = target.secure
      ? connectTls({ host: target.host, port: target.port, servername: target.host, rejectUnauthorized: options.tlsVerify })
      : connectTcp({ host: target.host, port: target.port });
    const fail = (err: Error) => {
      socket.destroy();
      reject(new AffectStreamError('source_unreachable', `source unreachable: ${target.url}: ${err.message}`, { retryable: true, cause: err }));
    };
    const timer = setTimeout(() => fail(new Error(`no connection within ${options.timeoutMs} ms`)), options.timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    socket.once(target.secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

async function request(socket: Socket, reader: ResponseReader, target: RtspTarget, cseq: number, auth: string | undefined, timeoutMs: number): Promise<RtspResponse> {
  const lines = [`DESCRIBE ${target.url} RTSP/1.0`, `CSeq: ${cseq}`, 'Accept: application/sdp', 'User-Agent: affectstream'];
  if (auth) lines.push(`Authorization: ${auth}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return reader.next(timeoutMs, target.url);
}

/** Reads RTSP responses (status line, headers, Content-Length body) off one connection. */
class ResponseReader {
  #buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #ended: Error | undefined;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    const end = (err?: Error) => {
      this.#ended ??= err ?? new Error('the server closed the connection');
      this.#wake?.();
    };
    socket.on('error', end);
    socket.on('close', () => end());
  }

  async next(timeoutMs: number, url: string): Promise<RtspResponse> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const response = this.#take();
      if (response) return response;
      if (this.#buffer.length > MAX_RESPONSE_BYTES) throw new AffectStreamError('source_unreachable', `source unreachable: ${url}: the DESCRIBE answer is too large`);
      if (this.#ended) throw new AffectStreamError('source_unreachable', `source unreachable: ${url}: ${this.#ended.message}`, { retryable: true });
      const left = deadline - performance.now();
      if (left <= 0) throw new AffectStreamError('source_unreachable', `source unreachable: ${url}: no answer to DESCRIBE within ${timeoutMs} ms`, { retryable: true });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  #take(): RtspResponse | undefined {
    const headerEnd = this.#buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0) return undefined;
    const [statusLine = '', ...headerLines] = this.#buffer.subarray(0, headerEnd).toString('latin1').split('\r\n');
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = Number(headers.get('content-length') ?? 0);
    const total = headerEnd + 4 + length;
    if (this.#buffer.length < total) return undefined;
    const body = this.#buffer.subarray(headerEnd + 4, total).toString('utf8');
    this.#buffer = this.#buffer.subarray(total);
    const match = /^RTSP\/1\.\d (\d{3}) ?(.*)$/.exec(statusLine);
    if (!match) return { status: 0, reason: `not an RTSP answer: ${statusLine.slice(0, 80)}`, headers, body };
    return { status: Number(match[1]), reason: match[2] ?? '', headers, body };
  }
}

/** Basic or Digest (RFC 2617, as RTSP cameras use it) answer to a 401 challenge. */
function authorization(challenge: string, target: RtspTarget): string {
  const user = target.user ?? '';
  const password = target.password ?? '';
  if (!/^digest/i.test(challenge)) return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const param = (name: string) => new RegExp(`${name}="?([^",]*)"?`, 'i').exec(challenge)?.[1];
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  const realm = param('realm') ?? '';
  const nonce = param('nonce') ?? '';
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`DESCRIBE:${target.url}`);
  const fields = [`username="${user}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${target.url}"`];
  const qop = param('qop')?.split(/\s*,\s*/).includes('auth') ? 'auth' : undefined;
  if (qop) {
    const cnonce = randomBytes(8).toString('hex');
    fields.push(`qop=${qop}`, 'nc=00000001', `cnonce="${cnonce}"`, `response="${md5(`${ha1}:${nonce}:00000001:${cnonce}:${qop}:${ha2}`)}"`);
  } else {
    fields.push(`response="${md5(`${ha1}:${nonce}:${ha2}`)}"`);
  }
  const opaque = param('opaque');
  if (opaque) fields.push(`opaque="${opaque}"`);
  return `Digest ${fields.join(', ')}`;
}
