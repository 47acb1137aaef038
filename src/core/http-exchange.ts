/**
 * What the server's HTTP endpoints (WHIP, the control API) share: an error that carries its HTTP
 * status, and reading a request body with a size limit, so a huge upload is refused while it streams in.
 */
import type { IncomingMessage } from 'node:http';

/** Errors of the HTTP exchange itself; `code` only for the JSON body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'too_large', `the body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
