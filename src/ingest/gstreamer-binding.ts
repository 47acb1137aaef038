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
      for (const live of livePipelines) live.stop();
      livePipelines.clear();
    });
  }
  return pipeline;
}

/** Pipelines opened and not yet closed (tests count them to check that a stopped stream freed its own). */
export function livePipelineCount(): number {
  return livePipelines.size;
}

export function closePipeline(pipeline: GstPipeline): void {
  livePipelines.delete(pipeline);
  pipeline.stop();
}
