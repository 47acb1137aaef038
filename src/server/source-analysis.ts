/**
 * Picks the ingest for a source as typed by the user: `whep+http(s)://…` is a WHEP endpoint to pull a
 * call from; anything else is a file or URI for GStreamer. Also holds the WebRTC settings of the
 * command line (tokens, WHEP sources), validated once like the analysis settings.
 */
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { AffectStreamError } from '../core/errors.js';
import { isRtspUri } from '../ingest/rtsp/rtsp-url.js';
import { DEFAULT_RTSP_OPTIONS, type RtspSourceOptions } from '../ingest/rtsp/rtsp-options.js';
import { toSourceUri } from '../ingest/source-uri.js';
import { DEFAULT_SESSION_MEDIA, type SessionMediaOptions } from '../ingest/webrtc/session-media.js';
import { whepEndpointOf, whepSource } from '../ingest/webrtc/whep-client.js';
import type { VadSpec } from '../models/manifest.js';
import { analyzeMedia, analyzeUri } from './stream-analysis.js';
import { analyzeRtsp } from './live-analysis.js';
import type { InferenceEngine } from '../pipeline/inference-engine.js';
import type { StreamEvent } from '../core/events.js';
import { decodeOptionsOf, streamOptionsOf, type AnalysisSettings } from './analysis-settings.js';

const token = z.string().min(8, 'a bearer token needs at least 8 characters').regex(/^[\x21-\x7e]+$/, 'a bearer token is printable ASCII without spaces');
const webrtcSchema = z.object({
  whipToken: token.optional(),
  whepToken: token.optional(),
  whep: z.array(z.string().regex(/^https?:\/\//i, 'a WHEP endpoint is an http(s) URL')).default([]),
});

export type WebRtcSettings = z.infer<typeof webrtcSchema>;

export function parseWebRtcSettings(raw: Record<string, unknown>): WebRtcSettings {
  const parsed = webrtcSchema.safeParse(raw);
  if (!parsed.success) {
    const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const issues = parsed.error.issues.map((i) => `${flag(String(i.path[0] ?? ''))}: ${i.message}`).join('; ');
    throw new AffectStreamError('invalid_argument', `invalid options: ${issues}`);
  }
  return parsed.data;
}

/** What a WebRTC session decodes to: the analysis rate and width, like files. */
export function webrtcMediaOptionsOf(settings: AnalysisSettings): Partial<SessionMediaOptions> {
  return { decode: { ...DEFAULT_SESSION_MEDIA.decode, fps: settings.fps, width: settings.width } };
}

/**
 * Events of one source. Throws (typed) for a local file that is not there. `rtsp`: the settings of an
 * `rtsp://` / `rtsps://` source (reconnection, transport, credentials).
 */
export function analyzeSource(source: string, stream: string, settings: AnalysisSettings, engine: InferenceEngine, vad: VadSpec, whepToken?: string, rtsp: RtspSourceOptions = DEFAULT_RTSP_OPTIONS): Observable<StreamEvent> {
  const uri = toSourceUri(source);
  const endpoint = whepEndpointOf(uri);
  const options = streamOptionsOf(settings, stream);
  if (isRtspUri(uri)) return analyzeRtsp(uri, rtsp, decodeOptionsOf(settings), engine, vad, options);
  if (endpoint === undefined) return analyzeUri(uri, decodeOptionsOf(settings), engine, vad, options);
  // A live call: nothing to hold back, so no flow gate.
  return analyzeMedia(whepSource(endpoint, stream, { token: whepToken, media: webrtcMediaOptionsOf(settings) }), engine, vad, options);
}
