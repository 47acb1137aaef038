/**
 * Decodes still JPEG images to packed RGB with GStreamer, the decoder every other source uses. One
 * pipeline serves a whole evaluation: each image's bytes are pushed into an appsrc and its picture
 * pulled out, which is far cheaper than a pipeline per image and keeps a single pipeline's threads.
 * gdppay carries the caps, so each picture's width and height come with its pixels.
 *
 * No bus polling: gstreamer-superficial's bus poll can stay blocked on a stopped pipeline, and the
 * process then hangs at exit joining that thread (seen about once in ten runs). A picture that does
 * not come out in time (a corrupt file: the decoder drops it or stops) is an error instead.
 */
import { readFile } from 'node:fs/promises';
import { AffectStreamError } from '../../core/errors.js';
import { capsInt, parseGdpPacket } from '../../ingest/gdp.js';
import { packedRgb } from '../../ingest/gst-source.js';
import { closePipeline, openPipeline, type AppSink, type AppSrc, type GstPipeline } from '../../ingest/gstreamer-binding.js';
import type { RgbImage } from '../../models/image-ops.js';

const PICTURE_TIMEOUT_MS = 5000;

export class JpegDecoder {
  readonly #pipeline: GstPipeline;
  readonly #src: AppSrc;
  readonly #sink: AppSink;
  #width = 0;
  #height = 0;
  #busy: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor() {
    this.#pipeline = openPipeline('appsrc name=src format=time caps=image/jpeg ! jpegparse ! jpegdec ! videoconvert ! video/x-raw,format=RGB ! gdppay ! appsink name=sink sync=false');
    this.#pipeline.play();
    const src = this.#pipeline.findChild('src') as AppSrc | null | undefined;
    const sink = this.#pipeline.findChild('sink');
    if (!src || !sink) throw new AffectStreamError('internal', 'JPEG pipeline lacks its appsrc or appsink');
    this.#src = src;
    this.#sink = sink;
  }

  /** Decodes one image; calls are served one at a time, in order. */
  decode(path: string): Promise<RgbImage> {
    const job = this.#busy.then(async () => {
      if (this.#closed) throw new AffectStreamError('closed', 'the JPEG decoder is closed');
      const bytes = await readFile(path);
      if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new AffectStreamError('unsupported_media', `not a JPEG image: ${path}`);
      this.#src.push(bytes);
      return this.#nextPicture(path);
    });
    this.#busy = job.catch(() => undefined);
    return job;
  }

  #nextPicture(path: string): Promise<RgbImage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // The decoder may now be stuck on this file: nothing more can go through it.
        this.#closed = true;
        void closePipeline(this.#pipeline);
        reject(new AffectStreamError('unsupported_media', `no picture decoded from ${path} within ${PICTURE_TIMEOUT_MS / 1000} s: a corrupt JPEG?`));
      }, PICTURE_TIMEOUT_MS);
      const onPacket = (packet: Buffer | null) => {
        if (!packet) {
          clearTimeout(timer);
          return reject(new AffectStreamError('unsupported_media', `no picture decoded from ${path}`));
        }
        const parsed = parseGdpPacket(packet);
        if (parsed.type === 'caps') {
          this.#width = capsInt(parsed.caps, 'width') ?? 0;
          this.#height = capsInt(parsed.caps, 'height') ?? 0;
        } else if (parsed.type === 'buffer' && this.#width > 0 && this.#height > 0) {
          clearTimeout(timer);
          return resolve({ rgb: Uint8Array.from(packedRgb(parsed.payload, this.#width, this.#height)), width: this.#width, height: this.#height });
        }
        this.#sink.pull(onPacket);
      };
      this.#sink.pull(onPacket);
    });
  }

  /**
   * Ends the stream first and stops the pipeline once the appsink has seen the end: stopping a
   * pipeline that is still playing can leave its bus-polling thread blocked, and the process then
   * hangs at exit waiting for that thread.
   */
  async close(): Promise<void> {
    await this.#busy;
    if (this.#closed) return;
    this.#closed = true;
    this.#pipeline.sendEOS();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      const drain = (packet: Buffer | null) => {
        if (packet === null) {
          clearTimeout(timer);
          resolve();
        } else this.#sink.pull(drain);
      };
      this.#sink.pull(drain);
    });
    void closePipeline(this.#pipeline);
  }
}
