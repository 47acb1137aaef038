/**
 * `affectstream analyze <source>`: one file or URI in, one NDJSON event per window out. Exits 1 with a
 * one-line error when the source or any window failed, after printing every event it did produce.
 */
import { lastValueFrom, tap } from 'rxjs';
import { AffectStreamError, toAffectStreamError } from '../core/errors.js';
import type { RtspSourceOptions } from '../ingest/rtsp/rtsp-options.js';
import { defaultStreamId, toSourceUri } from '../ingest/source-uri.js';
import { loadManifest } from '../models/manifest.js';
import { InferenceEngine } from '../pipeline/inference-engine.js';
import { NdjsonWriter } from '../sink/ndjson-writer.js';
import type { StreamEvent } from '../core/events.js';
import { engineOptionsOf, type AnalysisSettings } from './analysis-settings.js';
import { analyzeSource } from './source-analysis.js';

export interface AnalyzeCommand {
  readonly source: string;
  readonly out?: string;
  readonly stream?: string;
  readonly settings: AnalysisSettings;
  /** Bearer token for a `whep+http(s)://` source. */
  readonly whepToken?: string;
  /** Settings of an `rtsp://` source. */
  readonly rtsp?: RtspSourceOptions;
}

/** Returns the process exit code. */
export async function runAnalyze(command: AnalyzeCommand): Promise<number> {
  const streamId = command.stream ?? defaultStreamId(command.source);
  const writer = command.out ? NdjsonWriter.toFile(command.out) : NdjsonWriter.toStdout();
  let failure: AffectStreamError | undefined;
  let failedWindows = 0;
  let engine: InferenceEngine | undefined;
  try {
    // Fails early, before models load, for a local file that is not there.
    toSourceUri(command.source);
    const pack = loadManifest(command.settings.models);
    engine = await InferenceEngine.create(engineOptionsOf(command.settings));
    const events$ = analyzeSource(command.source, streamId, command.settings, engine, pack.manifest.models.vad, command.whepToken, command.rtsp);
    let writes = Promise.resolve();
    await lastValueFrom(
      events$.pipe(
        tap((event: StreamEvent) => {
          if (event.type === 'error' && event.seq === undefined) failure = new AffectStreamError(event.code, event.message);
          else if (event.type === 'error') {
            failedWindows += 1;
            failure ??= new AffectStreamError(event.code, event.message);
          }
          writes = writes.then(() => writer.write(event));
        }),
      ),
      { defaultValue: undefined },
    );
    await writes;
  } catch (err) {
    failure = toAffectStreamError(err);
    await writer.write({ type: 'error', stream: streamId, code: failure.code, message: failure.message });
  } finally {
    await engine?.close();
    await writer.close();
  }
  if (failure) {
    const windows = failedWindows > 0 ? ` (${failedWindows} window${failedWindows === 1 ? '' : 's'} failed)` : '';
    process.stderr.write(`affectstream: error: ${failure.code}: ${failure.message}${windows}\n`);
    return 1;
  }
  return 0;
}
