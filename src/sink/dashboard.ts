/**
 * The live dashboard at `/`: static HTML/CSS/JS (ES modules, no build step) from src/sink/dashboard/,
 * plus the compiled feed client (dist/src/client/feed-client.js) that the page connects with. Both are
 * found relative to this module, which sits at dist/src/sink/ in the repository and in an installed
 * package alike. The page holds no data: it reads the feed with the token from its own `?token=`.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

/** From dist/src/sink/ back to the sources' dashboard folder. */
const ASSETS = new URL('../../../src/sink/dashboard/', import.meta.url);
const CLIENT = new URL('../client/feed-client.js', import.meta.url);

const FILES: Readonly<Record<string, { url: URL; type: string }>> = {
  '/': { url: new URL('index.html', ASSETS), type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { url: new URL('app.js', ASSETS), type: 'text/javascript; charset=utf-8' },
  '/dashboard/plots.js': { url: new URL('plots.js', ASSETS), type: 'text/javascript; charset=utf-8' },
  '/dashboard/style.css': { url: new URL('style.css', ASSETS), type: 'text/css; charset=utf-8' },
  '/dashboard/feed-client.js': { url: CLIENT, type: 'text/javascript; charset=utf-8' },
};

export class Dashboard {
  /** Files read once, on first request (they do not change while the server runs). */
  readonly #cache = new Map<string, Buffer>();

  handles(request: IncomingMessage): boolean {
    const path = (request.url ?? '').split('?')[0]!;
    return (request.method === 'GET' || request.method === 'HEAD') && path in FILES;
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '').split('?')[0]!;
    const file = FILES[path]!;
    let body = this.#cache.get(path);
    if (!body) {
      try {
        body = readFileSync(fileURLToPath(file.url));
      } catch {
        response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'internal', message: `dashboard file missing: ${path}` }));
        return;
      }
      this.#cache.set(path, body);
    }
    response.writeHead(200, {
      'content-type': file.type,
      'content-length': body.length,
      'cache-control': 'no-cache',
      // Everything the page needs comes from this server: nothing else may load.
      'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'",
      'x-content-type-options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  }
}
