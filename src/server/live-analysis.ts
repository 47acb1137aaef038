/**
 * Analysis of a reconnecting live feed (RTSP): the feed's media go through the same stream analysis
 * as any source, its drops and returns become `reconnecting` / `resumed` status events, and affect
 * events of windows that fall in an outage are marked `gap: true`. Media time runs on across
 * reconnects, so the windows stay contiguous and no window is lost outside the outages.
 */
import { defer, map, merge, type Observable } from 'rxjs';
import type { DecodeOptions } from '../ingest/gst-source.js';
import { LiveRtspSource, type LinkEvent } from '../ingest/rtsp/live-rtsp-source.js';
import type { RtspSourceOptions } from '../ingest/rtsp/rtsp-options.js';
import type { VadSpec } from '../models/manifest.js';
import type { StatusEvent, StreamEvent } from '../core/events.js';
import type { InferenceEngine } from '../pipeline/inference-engine.js';
import { analyzeMedia, type StreamAnalysisOptions } from './stream-analysis.js';

export function analyzeRtsp(uri: string, rtsp: RtspSourceOptions, decode: DecodeOptions, engine: InferenceEngine, vad: VadSpec, options: StreamAnalysisOptions): Observable<StreamEvent> {
  return defer(() => {
    const source = new LiveRtspSource(uri, rtsp, decode);
    const stream = options.streamId;
    let windows = 0;
    const status = (link: LinkEvent): StatusEvent =>
      link.kind === 'reconnecting'
        ? { type: 'status', stream, state: 'reconnecting', windows, attempt: link.attempt, retry_in_ms: link.retryInMs, error: { code: link.reason.code, message: link.reason.message } }
        : { type: 'status', stream, state: 'resumed', windows, gap: { from: round3(link.gap.from), to: round3(link.gap.to) }, downtime_ms: link.downtimeMs };
    // Live: no flow gate, the feed cannot wait.
    const events$ = analyzeMedia(source.items(), engine, vad, options).pipe(
      map((event): StreamEvent => {
        if (event.type !== 'affect') return event;
        windows += 1;
        return source.gapOverlaps(event.start, event.end) ? { ...event, gap: true } : event;
      }),
    );
    return merge(source.links.pipe(map(status)), events$);
  });
}

function round3(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
