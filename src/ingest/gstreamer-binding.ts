/**
 * Typed view of the parts of gstreamer-superficial we use. The addon ships no typings and is a
 * CommonJS native module, which ESM cannot import directly.
 */
import { createRequire } from 'node:module';

export interface BusMessage {
  type: string;
  message?: string;
  debug?: string;
  name?: string;
  _src_element_name?: string;
  [key: string]: unknown;
}

export interface AppSink {
  pull(callback: (buf: Buffer | null, caps?: unknown) => void): void;
  [property: string]: unknown;
}

/** An appsrc: `pts` is a big-endian uint64 of nanoseconds (the buffer's PTS), absent for none. */
export interface AppSrc {
  push(buffer: Buffer, pts?: Buffer): void;
  [property: string]: unknown;
}

export interface GstPipeline {
  play(): void;
  pause(): void;
  stop(): void;
  sendEOS(): void;
  findChild(name: string): AppSink | null | undefined;
  pollBus(callback: (message: BusMessage) => void): void;
  /** Seconds, or −1 when unknown (live sources). */
  queryDuration(): number;
  queryPosition(): number;
}

interface GstModule {
  Pipeline: new (launch: string) => GstPipeline;
}

const require = createRequire(import.meta.url);
let cached: GstModule | undefined;

function gstreamer(): GstModule {
  cached ??= require('gstreamer-superficial') as GstModule;
  return cached;
}

/**
 * Pipelines still playing. At exit libuv joins its pool threads, and a thread blocked in an appsink
 * pull never returns until its pipeline stops: an exit with a live pipeline (a crash, a closed stdout)
 * would hang. So every pipeline is opened here, and whatever is still open is stopped on exit.
 */
const livePipelines = new Set<GstPipeline>();
let exitHookInstalled = false;

export function openPipeline(launch: string): GstPipeline {
  const pipeline = new (gstreamer().Pipeline)(launch);
  livePipelines.add(pipeline);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const live of [...livePipelines, ...closingPipelines]) live.stop();
      livePipelines.clear();
      closingPipelines.clear();
    });
  }
  return pipeline;
}

/** Pipelines opened and not yet closed (tests count them to check that a stopped stream freed its own). */
export function livePipelineCount(): number {
  return livePipelines.size;
}

/**
 * gstreamer-superficial polls the bus on a libuv pool thread, blocked in gst_bus_timed_pop with no
 * timeout, and queues the next poll after each message unless the pipeline is already stopped. A
 * pipeline stopped from outside that callback flushes its bus, so the pending poll may never return:
 * the pool loses that thread for good (four such losses stall every fs and dns call of the process)
 * and exit hangs joining it. So a watched pipeline is stopped from inside its own bus callback.
 */
interface BusWatch {
  closing: (() => void) | undefined;
}
const watchedBuses = new WeakMap<GstPipeline, BusWatch>();
/** A stop that is waiting for its bus message; stopped at exit if it never came. */
const closingPipelines = new Set<GstPipeline>();
const stopsInProgress = new WeakMap<GstPipeline, Promise<void>>();
/** Long enough for a pipeline that posts nothing when paused (already paused, never started). */
const CLOSE_FALLBACK_MS = 2000;

export function watchBus(pipeline: GstPipeline, callback: (message: BusMessage) => void): void {
  const watch: BusWatch = { closing: undefined };
  watchedBuses.set(pipeline, watch);
  pipeline.pollBus((message) => {
    if (watch.closing) watch.closing();
    else callback(message);
  });
}

/** Resolves once the pipeline is stopped; a watched one stops a moment later, on its next bus message. */
export function closePipeline(pipeline: GstPipeline): Promise<void> {
  livePipelines.delete(pipeline);
  const watch = watchedBuses.get(pipeline);
  if (!watch) {
    pipeline.stop();
    return Promise.resolve();
  }
  const existing = stopsInProgress.get(pipeline);
  if (existing) return existing;
  let stopped = false;
  let resolveStopped!: () => void;
  const done = new Promise<void>((resolve) => (resolveStopped = resolve));
  stopsInProgress.set(pipeline, done);
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(fallback);
    closingPipelines.delete(pipeline);
    pipeline.stop();
    resolveStopped();
  };
  watch.closing = stop;
  closingPipelines.add(pipeline);
  const fallback = setTimeout(stop, CLOSE_FALLBACK_MS);
  fallback.unref();
  // Pausing posts a state change on a bus that is not flushing yet; its callback then stops the pipeline.
  pipeline.pause();
  return done;
}
