/**
 * The decode-only floor (in a child process): the same sources through the same GStreamer graph the
 * pipeline builds (playbin, then frames to the analysis rate and width in RGB and audio to 16 kHz
 * mono, see gst-source.ts), each branch ending in a fakesink instead of gdppay ! appsink. Paced runs
 * sync the sinks to the clock as the pipeline's appsinks are; the process's CPU time is the floor.
 */
import { pathToFileURL } from 'node:url';
import { lastValueFrom, mergeMap, range, reduce, timer } from 'rxjs';
import { audioConvertBin, decodeUri, DEFAULT_DECODE_OPTIONS, videoConvertBin, type DecodeOptions } from '../../ingest/gst-source.js';
import { closePipeline, openPipeline } from '../../ingest/gstreamer-binding.js';

export interface FloorRunParams {
  readonly clip: string;
  readonly streams: number;
  readonly realtime: boolean;
  readonly fps?: number;
  readonly width?: number;
}

export interface FloorRunResult {
  readonly streams: number;
  readonly wallS: number;
  readonly mediaSeconds: number;
  readonly cpuS: number;
  readonly peakRssMb: number;
}

export function floorLaunchString(uri: string, options: Pick<DecodeOptions, 'fps' | 'width' | 'audioChunkSeconds' | 'realtime'>): string {
  const sync = options.realtime;
  const video = `${videoConvertBin(options)} ! fakesink sync=${sync} enable-last-sample=false`;
  const audio = `${audioConvertBin(options)} ! fakesink sync=${sync} enable-last-sample=false`;
  return `playbin uri="${uri}" flags=0x63 video-sink="${video}" audio-sink="${audio}"`;
}

/** Plays one source to its end; resolves with its duration in media seconds. */
function playToEnd(uri: string, options: DecodeOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const pipeline = openPipeline(floorLaunchString(uri, options));
    let duration = -1;
    pipeline.pollBus((message) => {
      if (message.type === 'async-done' && duration < 0) duration = pipeline.queryDuration();
      else if (message.type === 'eos') {
        closePipeline(pipeline);
        resolve(duration);
      } else if (message.type === 'error') {
        closePipeline(pipeline);
        reject(new Error(`decode-only pipeline failed: ${String(message.message)}`));
      }
    });
    pipeline.play();
  });
}

function decodeOptions(params: FloorRunParams): DecodeOptions {
  return { ...DEFAULT_DECODE_OPTIONS, fps: params.fps ?? DEFAULT_DECODE_OPTIONS.fps, width: params.width ?? DEFAULT_DECODE_OPTIONS.width, realtime: params.realtime };
}

/**
 * The pipeline's own ingest without analysis: frames and audio decoded and pulled into Node as
 * `analyze` pulls them (gdppay ! appsink, a JS buffer per item), then let go. Between the fakesink floor
 * and the whole pipeline, it tells what carrying media into JavaScript costs.
 */
export async function pullRun(params: FloorRunParams): Promise<FloorRunResult> {
  const options = decodeOptions(params);
  const uri = pathToFileURL(params.clip).href;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const mediaSeconds = await lastValueFrom(
    range(0, params.streams).pipe(
      mergeMap((i) =>
        timer(params.realtime ? (i * 1000) / params.streams : 0).pipe(
          mergeMap(() => decodeUri(uri, options)),
          reduce((end, item) => (item.kind === 'audio' ? Math.max(end, item.pts + item.samples.length / item.sampleRate) : item.kind === 'video' ? Math.max(end, item.pts + item.duration) : end), 0),
        ),
      ),
      reduce((sum, end) => sum + end, 0),
    ),
  );
  const wallS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { streams: params.streams, wallS, mediaSeconds, cpuS: (cpu.user + cpu.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

export async function floorRun(params: FloorRunParams): Promise<FloorRunResult> {
  const options = decodeOptions(params);
  const uri = pathToFileURL(params.clip).href;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  // The same spread-out start phases as the live runs.
  const durations = await Promise.all(
    Array.from({ length: params.streams }, (_, i) => new Promise<void>((r) => setTimeout(r, params.realtime ? (i * 1000) / params.streams : 0)).then(() => playToEnd(uri, options))),
  );
  const wallS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    streams: params.streams,
    wallS,
    mediaSeconds: durations.reduce((a, b) => a + Math.max(0, b), 0),
    cpuS: (cpu.user + cpu.system) / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}
