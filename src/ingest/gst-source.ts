/**
 * Decodes any file or URI GStreamer can open into timestamped RGB frames at the analysis rate and
 * 16 kHz mono float audio. playbin picks demuxers and decoders and copes with audio-only and
 * video-only media; our own sink bins fix the output format before the appsinks, and gdppay carries
 * each buffer's timestamp across. Both tracks are stamped with the pipeline's running time: one clock.
 */
import { Observable } from 'rxjs';
import { AffectStreamError } from '../core/errors.js';
import { FlowGate } from './flow-gate.js';
import { capsInt, parseGdpPacket, parseSegmentEvent, type SegmentTimes } from './gdp.js';
import { errorFromBus } from './gst-errors.js';
import { closePipeline, openPipeline, watchBus, type AppSink, type BusMessage, type GstPipeline } from './gstreamer-binding.js';
import { ANALYSIS_SAMPLE_RATE, type IngestItem, type MediaItem, type TrackLayout } from '../core/media.js';

export interface DecodeOptions {
  /** Analysis frames per second; sources with fewer frames are not padded with copies. */
  readonly fps: number;
  /** Width analysis frames are scaled to; height keeps the picture's aspect. */
  readonly width: number;
  /** Pace output to the media clock, like a live source. Off: as fast as the machine allows. */
  readonly realtime: boolean;
  /** Audio is pulled in chunks of this many seconds (bigger chunks cost less per second in Node). */
  readonly audioChunkSeconds: number;
  /** A source that has neither started nor failed after this many seconds is given up on. */
  readonly openTimeoutSeconds: number;
}

export const DEFAULT_DECODE_OPTIONS: Readonly<DecodeOptions> = Object.freeze({
  fps: 10,
  width: 640,
  realtime: false,
  audioChunkSeconds: 0.1,
  openTimeoutSeconds: 10,
});

const NS_PER_S = 1e9;
/** A file whose media stops this much short of its declared duration is reported as truncated. */
const TRUNCATION_TOLERANCE_S = 1;

/** The tail every decoder shares: gdppay carries each buffer's PTS, caps and segment into JavaScript. */
function gdpSink(name: string, maxBuffers: number, sync: boolean): string {
  return `gdppay ! appsink name=${name} sync=${sync} max-buffers=${maxBuffers} drop=false enable-last-sample=false wait-on-eos=true`;
}

/**
 * Decoded video → packed RGB at the analysis rate and width, into appsink `name`. `variableRate`: the
 * input caps say framerate 0/1 (RTP), which videorate 1.22 can neither limit (an assertion on the
 * output duration aborts the process) nor convert; a nominal rate set on the caps lets it drop by
 * timestamps as usual.
 */
export function videoSinkBin(options: Pick<DecodeOptions, 'fps' | 'width'>, sync: boolean, name = 'video', variableRate = false): string {
  return `${videoConvertBin(options, variableRate)} ! ${gdpSink(name, 4, sync)}`;
}

/** Decoded video → packed RGB at the analysis rate and width (the part of videoSinkBin before its sink). */
export function videoConvertBin(options: Pick<DecodeOptions, 'fps' | 'width'>, variableRate = false): string {
  const nominal = variableRate ? 'capssetter caps="video/x-raw,framerate=(fraction)60/1" ! ' : '';
  const rate = `${nominal}videorate drop-only=true max-rate=${options.fps}`;
  // Drop frames before scaling and convert last: scaling in YUV at the analysis rate is the cheap order.
  return `${rate} ! videoscale ! video/x-raw,width=${options.width},pixel-aspect-ratio=1/1 ! videoconvert ! video/x-raw,format=RGB`;
}

/** Decoded audio → 16 kHz mono F32LE in chunks of `audioChunkSeconds`, into appsink `name`. */
export function audioSinkBin(options: Pick<DecodeOptions, 'audioChunkSeconds'>, sync: boolean, name = 'audio'): string {
  return `${audioConvertBin(options)} ! ${gdpSink(name, 16, sync)}`;
}

/** Decoded audio → 16 kHz mono F32LE chunks (the part of audioSinkBin before its sink). */
export function audioConvertBin(options: Pick<DecodeOptions, 'audioChunkSeconds'>): string {
  const chunkMs = Math.round(options.audioChunkSeconds * 1000);
  return `audioconvert ! audioresample ! audio/x-raw,format=F32LE,channels=1,rate=${ANALYSIS_SAMPLE_RATE} ! audiobuffersplit output-buffer-duration=${chunkMs}/1000`;
}

export function buildLaunchString(uri: string, options: DecodeOptions): string {
  const video = videoSinkBin(options, options.realtime);
  const audio = audioSinkBin(options, options.realtime);
  // flags: video | audio | native-video | native-audio — no subtitles, no playsink converters in front of ours.
  return `playbin uri="${uri}" flags=0x63 video-sink="${video}" audio-sink="${audio}"`;
}

interface TrackState {
  segment: SegmentTimes | undefined;
  width: number;
  height: number;
}

export function decodeUri(uri: string, options: DecodeOptions, gate: FlowGate = new FlowGate()): Observable<IngestItem> {
  return new Observable<IngestItem>((subscriber) => {
    let pipeline: GstPipeline;
    try {
      pipeline = openPipeline(buildLaunchString(uri, options));
    } catch (err) {
      subscriber.error(new AffectStreamError('invalid_argument', `cannot build a decoder for ${uri}: ${String(err)}`));
      return;
    }
    let finished = false;
    let started = false;
    let openPulls = 0;
    let declaredDuration = -1;
    let mediaEnd = 0;

    // GStreamer sometimes stalls on a damaged file without posting an error (seen with mp4s cut before
    // their index); nothing should wait on such a source forever.
    const openTimer = setTimeout(() => finish(openTimeout(uri, options.openTimeoutSeconds)), options.openTimeoutSeconds * 1000);
    const finish = (error?: AffectStreamError) => {
      if (finished) return;
      finished = true;
      clearTimeout(openTimer);
      void closePipeline(pipeline);
      if (error) subscriber.error(error);
      else subscriber.complete();
    };

    const toSeconds = (track: TrackState, ptsNs: bigint): number => {
      const segment = track.segment;
      const running = segment ? ptsNs - segment.startNs + segment.baseNs : ptsNs;
      return Number(running) / NS_PER_S;
    };

    const pullLoop = (sink: AppSink, kind: 'video' | 'audio') => {
      const track: TrackState = { segment: undefined, width: 0, height: 0 };
      openPulls += 1;
      const onPacket = (packet: Buffer | null) => {
        if (finished) return;
        if (!packet) {
          openPulls -= 1;
          if (openPulls === 0) finish(truncation(uri, declaredDuration, mediaEnd));
          return;
        }
        const arrivalMs = performance.now();
        const parsed = parseGdpPacket(packet);
        if (parsed.type === 'caps') {
          track.width = capsInt(parsed.caps, 'width') ?? track.width;
          track.height = capsInt(parsed.caps, 'height') ?? track.height;
        } else if (parsed.type === 'event') {
          track.segment = parseSegmentEvent(parsed.text) ?? track.segment;
        } else if (parsed.type === 'buffer' && parsed.ptsNs !== null) {
          const pts = toSeconds(track, parsed.ptsNs);
          if (kind === 'video') {
            const duration = parsed.durationNs === null ? 1 / options.fps : Number(parsed.durationNs) / NS_PER_S;
            mediaEnd = Math.max(mediaEnd, pts + duration);
            subscriber.next({
              kind: 'video',
              pts,
              duration,
              width: track.width,
              height: track.height,
              rgb: packedRgb(parsed.payload, track.width, track.height),
              arrivalMs,
            });
          } else {
            // The payload sits 62 bytes into the packet: not 4-byte aligned, so it is copied out.
            const samples = new Float32Array(parsed.payload.byteLength >> 2);
            new Uint8Array(samples.buffer).set(parsed.payload.subarray(0, samples.byteLength));
            mediaEnd = Math.max(mediaEnd, pts + samples.length / ANALYSIS_SAMPLE_RATE);
            subscriber.next({ kind: 'audio', pts, sampleRate: ANALYSIS_SAMPLE_RATE, samples, arrivalMs });
          }
        }
        gate.whenOpen(() => {
          if (!finished) sink.pull(onPacket);
        });
      };
      sink.pull(onPacket);
    };

    const startPulls = () => {
      if (started) return;
      started = true;
      clearTimeout(openTimer);
      declaredDuration = pipeline.queryDuration();
      const video = pipeline.findChild('video') ?? undefined;
      const audio = pipeline.findChild('audio') ?? undefined;
      if (!video && !audio) {
        finish(new AffectStreamError('unsupported_media', `no audio or video stream in ${uri}`));
        return;
      }
      subscriber.next({ kind: 'tracks', layout: { video: video !== undefined, audio: audio !== undefined } });
      if (video) pullLoop(video, 'video');
      if (audio) pullLoop(audio, 'audio');
    };

    watchBus(pipeline, (message: BusMessage) => {
      if (finished) return;
      if (message.type === 'error') finish(errorFromBus(message, uri));
      else if (message.type === 'async-done') startPulls();
    });
    pipeline.play();

    return () => finish();
  });
}

function openTimeout(uri: string, seconds: number): AffectStreamError {
  if (uri.startsWith('file:')) return new AffectStreamError('corrupt_media', `media is truncated or corrupt: ${uri}: no playable media found within ${seconds} s`);
  return new AffectStreamError('source_unreachable', `source unreachable: ${uri}: no media within ${seconds} s`, { retryable: true });
}

/**
 * A truncated file often plays without a GStreamer error: the demuxer just runs out of data. Its
 * container still declares the full duration, which tells us media went missing.
 */
function truncation(uri: string, declared: number, mediaEnd: number): AffectStreamError | undefined {
  if (!(declared > 0) || mediaEnd >= declared - TRUNCATION_TOLERANCE_S) return undefined;
  return new AffectStreamError('corrupt_media', `media is truncated or corrupt: ${uri}: media ends at ${mediaEnd.toFixed(2)} s of the declared ${declared.toFixed(2)} s`);
}

/** GStreamer pads RGB rows to 4 bytes; analysis wants them packed. Copies only when padding exists. */
export function packedRgb(payload: Buffer, width: number, height: number): Uint8Array {
  const rowBytes = width * 3;
  const stride = Math.ceil(rowBytes / 4) * 4;
  if (stride === rowBytes || payload.byteLength < stride * height) {
    return new Uint8Array(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, rowBytes * height));
  }
  const packed = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) packed.set(payload.subarray(y * stride, y * stride + rowBytes), y * rowBytes);
  return packed;
}
