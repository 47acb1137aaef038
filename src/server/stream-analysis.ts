/**
 * One source's path from decoded media to events: windows on media time → face and voice inference in
 * the worker pool → fusion → affect events in window order. Face work starts per frame as frames
 * arrive; voice work is chained per stream because the VAD's state flows from window to window.
 * Failures become error events of this stream only.
 */
import { catchError, concat, concatMap, defer, from, map, Observable, of, type OperatorFunction } from 'rxjs';
import { AffectStreamError, toAffectStreamError } from '../core/errors.js';
import { DEFAULT_FUSION_OPTIONS, type FusedWindow, type FusionOptions, type WindowAnalysis } from '../fusion/window-fusion.js';
import { createWindowFuser, type FusionTap } from '../fusion/fusion-stage.js';
import { FlowGate } from '../ingest/flow-gate.js';
import { decodeUri, type DecodeOptions } from '../ingest/gst-source.js';
import { ANALYSIS_SAMPLE_RATE, type TrackLayout } from '../core/media.js';
import { initialVoiceCarry, type VoiceCarry, type VoiceResult } from '../models/voice-analyzer.js';
import type { StreamEvent } from '../core/events.js';
import { logger } from '../core/logger.js';
import { FaceJobs, type WindowFaces } from '../pipeline/face-jobs.js';
import type { InferenceEngine } from '../pipeline/inference-engine.js';
import { windowMedia, type SourceFailure } from '../pipeline/window-media.js';
import type { MediaWindow } from '../pipeline/windower.js';
import type { VadSpec } from '../models/manifest.js';
import type { DispatchTrace } from '../pipeline/batch-scheduler.js';
import type { WindowTiming } from '../pipeline/window-timing.js';
import type { IngestItem } from '../core/media.js';

export interface StreamAnalysisOptions {
  readonly streamId: string;
  readonly windowSeconds: number;
  /** Offline sources stop decoding while this many windows wait for inference. */
  readonly maxWindowsInFlight: number;
  readonly fusion: FusionOptions;
  /** Sees each window's branch results before fusion (tests and benchmarks compare fusions on them). */
  readonly onAnalysis?: (analysis: WindowAnalysis) => void;
  /** Sees each window's fusion model input (training data dumps). */
  readonly onFusionInput?: (tap: FusionTap) => void;
  /** Sees each affect event's stage timestamps (benchmarks split `latency_ms` with them). */
  readonly onTiming?: (timing: WindowTiming) => void;
}

export const DEFAULT_STREAM_ANALYSIS: Readonly<Omit<StreamAnalysisOptions, 'streamId'>> = Object.freeze({
  windowSeconds: 1,
  maxWindowsInFlight: 3,
  fusion: DEFAULT_FUSION_OPTIONS,
});

interface AnalysedWindow {
  readonly window: MediaWindow;
  readonly faces: WindowFaces;
  readonly voice: VoiceResult | null;
  readonly closedAtMs: number;
  readonly dispatchedAtMs: number;
  readonly facesAtMs: number;
  readonly voiceAtMs: number;
  readonly inferredAtMs: number;
}

interface FusedResult extends AnalysedWindow {
  readonly fused: FusedWindow;
  readonly fusedAtMs: number;
}

/** Drops are logged at most this often per stream, with the count since the last line. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** Decodes `uri` and analyses it: the whole path for files and URIs. */
export function analyzeUri(uri: string, decode: DecodeOptions, engine: InferenceEngine, vad: VadSpec, options: StreamAnalysisOptions): Observable<StreamEvent> {
  return defer(() => {
    // Paced sources must not be held back; offline ones wait while inference catches up.
    const gate = decode.realtime ? undefined : new FlowGate();
    return analyzeMedia(decodeUri(uri, decode, gate), engine, vad, options, gate);
  });
}

/** Analyses any source of ingest items; `gate`, when given, is closed while inference is behind. */
export function analyzeMedia(source: Observable<IngestItem>, engine: InferenceEngine, vad: VadSpec, options: StreamAnalysisOptions, gate?: FlowGate): Observable<StreamEvent> {
  return new Observable<StreamEvent>((subscriber) => {
    const stream = options.streamId;
    let windows = 0;
    let seq = 0;
    let layout: TrackLayout | undefined;
    const onLayout = (l: TrackLayout) => {
      layout = l;
      subscriber.next({ type: 'status', stream, state: 'started', windows: 0, tracks: l });
    };
    let failed = false;
    const fuse = createWindowFuser(engine, options.fusion, options.onFusionInput);
    // In window order: the stream's fusion state flows from each window to the next.
    const fuseResult = (result: AnalysedWindow | AffectStreamError | SourceFailure): Promise<FusedResult | AffectStreamError | SourceFailure> => {
      if (result instanceof AffectStreamError || 'kind' in result) return Promise.resolve(result);
      const analysis: WindowAnalysis = { start: result.window.start, end: result.window.end, faceFrames: result.faces.frames, voice: result.voice };
      options.onAnalysis?.(analysis);
      return fuse(analysis).then(
        (fused) => ({ ...result, fused, fusedAtMs: performance.now() }),
        (err: unknown) => toAffectStreamError(err, 'model_failed'),
      );
    };
    const toEvent = (result: FusedResult | AffectStreamError | SourceFailure): StreamEvent => {
      if (result instanceof AffectStreamError) return { type: 'error', stream, code: result.code, message: result.message, seq: seq++ };
      if ('kind' in result) {
        failed = true;
        return { type: 'error', stream, code: result.error.code, message: result.error.message };
      }
      const { fused } = result;
      windows += 1;
      reportDrops(result.faces.dropped);
      const emittedAtMs = performance.now();
      const event: StreamEvent = { type: 'affect', stream, seq: seq++, ...fused, dropped_frames: result.faces.dropped, latency_ms: Math.round((emittedAtMs - result.window.completedAtMs) * 100) / 100 };
      options.onTiming?.({
        stream,
        seq: event.seq,
        start: fused.start,
        end: fused.end,
        completedAtMs: result.window.completedAtMs,
        closedAtMs: result.closedAtMs,
        dispatchedAtMs: result.dispatchedAtMs,
        facesAtMs: result.facesAtMs,
        voiceAtMs: result.voiceAtMs,
        inferredAtMs: result.inferredAtMs,
        fusedAtMs: result.fusedAtMs,
        emittedAtMs,
        frames: fused.frames,
        droppedFrames: result.faces.dropped,
      });
      return event;
    };
    let unreportedDrops = 0;
    let lastDropLogMs = Number.NEGATIVE_INFINITY;
    const reportDrops = (dropped: number) => {
      unreportedDrops += dropped;
      const now = performance.now();
      if (unreportedDrops === 0 || now - lastDropLogMs < DROP_LOG_INTERVAL_MS) return;
      logger.warn({ stream, dropped_frames: unreportedDrops, total: faceJobs.droppedTotal }, 'inference is behind real time: analysis frames dropped');
      unreportedDrops = 0;
      lastDropLogMs = now;
    };
    const faceJobs = new FaceJobs(engine, options.windowSeconds, gate === undefined);
    const events$ = source.pipe(
      // Past this point a frame is only its metadata: its pixels went to a worker or, if dropped, to the GC.
      map((item) => (item.kind === 'video' ? faceJobs.submit(item) : item)),
      windowMedia({ windowSeconds: options.windowSeconds, sampleRate: ANALYSIS_SAMPLE_RATE, minTailSeconds: options.windowSeconds / 4 }, onLayout),
      startInference(engine, faceJobs, vad, options, gate),
      concatMap((pending) => from(pending)),
      concatMap(fuseResult),
      map(toEvent),
    );
    return concat(
      events$.pipe(
        catchError((err: unknown) => {
          failed = true;
          const e = toAffectStreamError(err);
          return of<StreamEvent[]>({ type: 'error', stream, code: e.code, message: e.message }, { type: 'status', stream, state: 'failed', windows });
        }),
      ),
      defer(() => (failed ? of<StreamEvent[]>({ type: 'status', stream, state: 'failed', windows }) : of<StreamEvent[]>({ type: 'status', stream, state: 'ended', windows, ...(layout ? { tracks: layout } : {}) }))),
    ).subscribe(subscriber);
  });
}

/**
 * Starts each window's voice inference as soon as the window closes (its face work started frame by
 * frame) and hands on a promise of its result, so windows overlap in the pool while the next stage
 * keeps their order.
 */
function startInference(engine: InferenceEngine, faceJobs: FaceJobs, vad: VadSpec, options: StreamAnalysisOptions, gate?: FlowGate): OperatorFunction<MediaWindow | SourceFailure, Promise<AnalysedWindow | AffectStreamError | SourceFailure>> {
  return (windows) =>
    defer(() => {
      let carry: VoiceCarry = initialVoiceCarry(vad);
      // Embeddings are the voice branch's costliest part: computed only when events or fusion models read them.
      const needEmbeddings = options.fusion.emitFeatures || (engine.fusionModels?.embeddingDims ?? 0) > 0;
      let voiceChain: Promise<unknown> = Promise.resolve();
      let inFlight = 0;
      const track = (delta: number) => {
        inFlight += delta;
        gate?.setOpen(inFlight < options.maxWindowsInFlight);
      };
      return windows.pipe(
        map((window) => {
          if ('kind' in window) return Promise.resolve(window);
          track(+1);
          const closedAtMs = performance.now();
          const voiceTrace: DispatchTrace = {};
          let facesAtMs = closedAtMs;
          let voiceAtMs = closedAtMs;
          const faces = faceJobs.resultsFor(window.frames).then((f) => {
            facesAtMs = performance.now();
            return f;
          });
          const audio = window.audio;
          const voice: Promise<VoiceResult | null> = audio
            ? voiceChain.then(async () => {
                const result = await engine.analyzeVoice({ audio, carry, embeddings: needEmbeddings, speechThreshold: options.fusion.speechThreshold }, voiceTrace);
                carry = result.carry;
                voiceAtMs = performance.now();
                return result;
              })
            : Promise.resolve(null);
          // A failed voice request must not poison the chain for the following windows.
          voiceChain = voice.catch(() => undefined);
          return Promise.all([faces, voice]).then(
            ([faces, voiceResult]): AnalysedWindow => ({
              window,
              faces,
              voice: voiceResult,
              closedAtMs,
              dispatchedAtMs: Math.max(closedAtMs, voiceTrace.dispatchedAtMs ?? closedAtMs, faceJobs.lastDispatchMs(window.frames) ?? closedAtMs),
              facesAtMs,
              voiceAtMs,
              inferredAtMs: performance.now(),
            }),
            (err: unknown) => toAffectStreamError(err, 'model_failed'),
          ).finally(() => track(-1));
        }),
      );
    });
}
