/**
 * `affectstream serve`: an HTTP server whose WebSocket feed (/v1/events) carries the events of every
 * source it was started with, of every stream added through the control API (/v1/streams, see
 * control-api.ts) and of every WebRTC session published to it over WHIP (/whip/<stream>, see
 * src/ingest/webrtc/whip-endpoint.ts). All of them are listed in one stream registry. A source that
 * fails sends its error event and ends; the others go on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { throwError } from 'rxjs';
import { toAffectStreamError } from '../core/errors.js';
import { resolveRtspOptions, type RtspOptionsInput } from '../ingest/rtsp/rtsp-options.js';
import { redactUri } from '../ingest/rtsp/rtsp-url.js';
import { defaultStreamId } from '../ingest/source-uri.js';
import { WhipEndpoint } from '../ingest/webrtc/whip-endpoint.js';
import { logger } from '../core/logger.js';
import { loadManifest } from '../models/manifest.js';
import { analyzeMedia } from './stream-analysis.js';
import { InferenceEngine } from '../pipeline/inference-engine.js';
import { StreamRegistry, type StreamOrigin } from './stream-registry.js';
import { TokenAuth, sendAuthError, type TokenSpec } from '../sink/auth.js';
import { Dashboard } from '../sink/dashboard.js';
import { EventFeed, type EventFeedOptions } from '../sink/event-feed.js';
import { ServerMetrics } from '../sink/metrics.js';
import type { StreamEvent } from '../core/events.js';
import { engineOptionsOf, streamOptionsOf, type AnalysisSettings } from './analysis-settings.js';
import { ControlApi, type StreamRequest } from './control-api.js';
import { analyzeSource, webrtcMediaOptionsOf, type WebRtcSettings } from './source-analysis.js';

/** A source with its own id and RTSP options (config file entries). */
export interface StreamSpec {
  readonly id?: string | undefined;
  readonly source: string;
  readonly options?: RtspOptionsInput | undefined;
}

export interface ServeCommand {
  readonly sources: readonly string[];
  /** Sources from the config file, started before `sources`. */
  readonly streams?: readonly (string | StreamSpec)[];
  /** Bearer token the control API requires; none: open (bind to loopback then). */
  readonly apiToken?: string | undefined;
  /** Defaults for every RTSP source (a source's own options override them). */
  readonly rtsp?: RtspOptionsInput | undefined;
  readonly host: string;
  readonly port: number;
  readonly settings: AnalysisSettings;
  /** WHIP token, WHEP sources and their token. */
  readonly webrtc?: WebRtcSettings;
  /** Bearer tokens for the feed, /metrics and the HTTP API (see src/sink/auth.ts); none: open. */
  readonly tokens?: readonly TokenSpec[];
  /** Feed limits (replay buffer, slow clients, heartbeat); defaults in event-feed.ts. */
  readonly feed?: Partial<Omit<EventFeedOptions, 'auth'>>;
}

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startServer(command: ServeCommand): Promise<RunningServer> {
  const pack = loadManifest(command.settings.models);
  const engine = await InferenceEngine.create(engineOptionsOf(command.settings));
  const auth = new TokenAuth(command.tokens ?? []);
  const dashboard = new Dashboard();
  const server: Server = createServer((request, response) => {
    if (whip.handles(request)) {
      whip.handle(request, response);
      return;
    }
    if (api.handles(request)) {
      api.handle(request, response);
      return;
    }
    if (request.method === 'GET' && request.url?.split('?')[0] === '/metrics') {
      const allowed = auth.authorize(request, { admin: true });
      if (!allowed.ok) return sendAuthError(response, allowed);
      metrics.text().then(
        ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body),
        (err: unknown) => response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'internal', message: String(err) })),
      );
      return;
    }
    if (dashboard.handles(request)) return dashboard.handle(request, response);
    if (request.method === 'GET' && request.url === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, inference: engine.stats(), clients: feed.clientCount, whipSessions: whip.sessionCount, streams: registry.liveCount }));
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not_found' }));
  });
  const feed = new EventFeed(server, { ...command.feed, auth });
  const metrics = new ServerMetrics({ engine: () => engine.stats(), feed: () => feed.stats() });
  const webrtc = command.webrtc ?? { whep: [] };
  const registry = new StreamRegistry((event) => publish(event));
  const whip = new WhipEndpoint(
    { token: webrtc.whipToken, media: webrtcMediaOptionsOf(command.settings) },
    (stream, media) => registry.track({ id: stream, origin: 'whip', source: `whip:${stream}` }, analyzeMedia(media, engine, pack.manifest.models.vad, streamOptionsOf(command.settings, stream))),
    (event) => publish(event),
  );
  /** Starts one stream in the registry; throws (typed) for a source that cannot be opened at all. */
  const startStream = (request: StreamRequest, origin: StreamOrigin): string => {
    const id = request.id ?? registry.freeId(defaultStreamId(request.source));
    const rtsp = resolveRtspOptions(command.rtsp, request.options);
    const events$ = analyzeSource(request.source, id, command.settings, engine, pack.manifest.models.vad, webrtc.whepToken, rtsp);
    registry.start({ id, origin, source: redactUri(request.source) }, events$);
    return id;
  };
  const api = new ControlApi({ token: command.apiToken, feedAuth: auth }, registry, (request) => startStream(request, 'api'));
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
    metrics.observe(event);
    feed.publish(event);
  };
  const initial: Array<{ spec: StreamSpec; origin: StreamOrigin }> = [
    ...(command.streams ?? []).map((s) => ({ spec: typeof s === 'string' ? { source: s } : s, origin: 'config' as const })),
    ...command.sources.map((source) => ({ spec: { source }, origin: 'source' as const })),
    ...webrtc.whep.map((url) => ({ spec: { source: `whep+${url}` }, origin: 'whep' as const })),
  ];
  for (const { spec, origin } of initial) {
    const id = spec.id ?? registry.freeId(defaultStreamId(spec.source));
    try {
      startStream({ id, source: spec.source, options: spec.options }, origin);
    } catch (err) {
      // Listed all the same, as failed, so the operator sees why in GET /v1/streams.
      const e = toAffectStreamError(err);
      registry.start({ id, origin, source: redactUri(spec.source) }, throwError(() => e));
    }
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        await whip.close();
        registry.closeAll();
        await feed.close();
        metrics.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await engine.close();
      })()),
  };
}
