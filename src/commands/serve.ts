/**
 * `affectstream serve`: an HTTP server whose WebSocket feed (/v1/events) carries the events of every
 * source it was started with and of every WebRTC session published to it over WHIP (/whip/<stream>,
 * see src/ingest/webrtc/whip-endpoint.ts). A source that fails sends its error event and ends; the
 * others go on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Subscription } from 'rxjs';
import { toAffectStreamError } from '../errors.js';
import { defaultStreamId } from '../ingest/source-uri.js';
import { WhipEndpoint } from '../ingest/webrtc/whip-endpoint.js';
import { logger } from '../logger.js';
import { loadManifest } from '../models/manifest.js';
import { analyzeMedia } from '../pipeline/stream-analysis.js';
import { InferenceEngine } from '../pipeline/inference-engine.js';
import { EventFeed } from '../sink/event-feed.js';
import type { StreamEvent } from '../sink/events.js';
import { engineOptionsOf, streamOptionsOf, type AnalysisSettings } from './analysis-settings.js';
import { analyzeSource, webrtcMediaOptionsOf, type WebRtcSettings } from './source-analysis.js';

export interface ServeCommand {
  readonly sources: readonly string[];
  readonly host: string;
  readonly port: number;
  readonly settings: AnalysisSettings;
  /** WHIP token, WHEP sources and their token. */
  readonly webrtc?: WebRtcSettings;
}

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Unique stream ids: a second `clip.mp4` becomes `clip.mp4-2`. */
function streamIds(sources: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return sources.map((source) => {
    const base = defaultStreamId(source);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

export async function startServer(command: ServeCommand): Promise<RunningServer> {
  const pack = loadManifest(command.settings.models);
  const engine = await InferenceEngine.create(engineOptionsOf(command.settings));
  const server: Server = createServer((request, response) => {
    if (whip.handles(request)) {
      whip.handle(request, response);
      return;
    }
    if (request.method === 'GET' && request.url === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, inference: engine.stats(), clients: feed.clientCount, whipSessions: whip.sessionCount }));
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not_found' }));
  });
  const feed = new EventFeed(server);
  const webrtc = command.webrtc ?? { whep: [] };
  const whip = new WhipEndpoint(
    { token: webrtc.whipToken, media: webrtcMediaOptionsOf(command.settings) },
    (stream, media) => analyzeMedia(media, engine, pack.manifest.models.vad, streamOptionsOf(command.settings, stream)),
    (event) => publish(event),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(command.port, command.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, events: `${url.replace(/^http/, 'ws')}/v1/events`, port: address.port }, 'listening');

  const publish = (event: StreamEvent) => {
    if (event.type === 'error') logger.warn({ stream: event.stream, code: event.code }, event.message);
    if (event.type === 'status') logger.info({ stream: event.stream, state: event.state, windows: event.windows }, 'stream status');
    feed.publish(event);
  };
  const subscriptions: Subscription[] = [];
  const sources = [...command.sources, ...webrtc.whep.map((url) => `whep+${url}`)];
  streamIds(sources).forEach((stream, i) => {
    const source = sources[i]!;
    try {
      subscriptions.push(analyzeSource(source, stream, command.settings, engine, pack.manifest.models.vad, webrtc.whepToken).subscribe({ next: publish }));
    } catch (err) {
      const e = toAffectStreamError(err);
      publish({ type: 'error', stream, code: e.code, message: e.message });
      publish({ type: 'status', stream, state: 'failed', windows: 0 });
    }
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        for (const s of subscriptions) s.unsubscribe();
        await whip.close();
        await feed.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await engine.close();
      })()),
  };
}
