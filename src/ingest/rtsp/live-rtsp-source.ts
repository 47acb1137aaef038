/**
 * An RTSP feed as one endless live source. It connects (DESCRIBE, then a GStreamer pipeline), and when
 * the feed drops — rtspsrc's end of stream or error, or no audio or video for the no-media timeout
 * (a frozen server keeps its socket open and rtspsrc notices only after ≈ 27 s) — it reports
 * `reconnecting` and connects again after a bounded exponential backoff, until the feed is back.
 *
 * Media time runs on: each connection's running time is shifted by when that connection started
 * relative to the first one, so media time follows the wall clock across reconnects and the windows
 * go on with an empty stretch where the feed was away. That stretch is reported as a gap (the
 * `resumed` link event carries it, and `gapOverlaps` tells which windows fall in one).
 *
 * The first connection must succeed: a wrong URL, wrong credentials or an unreachable server on the
 * first try fail the stream at once with a clear error. Later, errors that a retry cannot fix
 * (credentials refused, a changed track layout) also end it.
 */
import { Observable, Subject, type Subscriber } from 'rxjs';
import { AffectStreamError, toAffectStreamError } from '../../core/errors.js';
import type { DecodeOptions } from '../gst-source.js';
import type { MediaItem, TrackLayout } from '../../core/media.js';
import { Backoff } from './backoff.js';
import { RtspConnection } from './rtsp-connection.js';
import { describeRtsp } from './rtsp-describe.js';
import { rtspLaunchString } from './rtsp-launch.js';
import type { RtspSourceOptions } from './rtsp-options.js';
import { parseRtspTarget, type RtspTarget } from './rtsp-url.js';
import type { SdpTracks } from './sdp-tracks.js';
import type { IngestItem } from '../../core/media.js';

export interface MediaGap {
  /** Media seconds: end of the last media before the drop, and start of the first after it. */
  readonly from: number;
  readonly to: number;
}

export type LinkEvent =
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly retryInMs: number; readonly reason: AffectStreamError }
  | { readonly kind: 'resumed'; readonly attempts: number; readonly gap: MediaGap; readonly downtimeMs: number };

const WATCHDOG_INTERVAL_MS = 250;
/** Gaps remembered for marking windows; far more than the windows in flight at any time. */
const GAPS_KEPT = 64;

export class LiveRtspSource {
  readonly #uri: string;
  readonly #options: RtspSourceOptions;
  readonly #decode: Pick<DecodeOptions, 'fps' | 'width' | 'audioChunkSeconds'>;
  readonly #target: RtspTarget;
  readonly #links = new Subject<LinkEvent>();
  readonly #gaps: MediaGap[] = [];
  #consumed = false;

  constructor(uri: string, options: RtspSourceOptions, decode: Pick<DecodeOptions, 'fps' | 'width' | 'audioChunkSeconds'>) {
    this.#uri = uri;
    this.#options = options;
    this.#decode = decode;
    this.#target = parseRtspTarget(uri, options);
  }

  /** Drops and returns of the feed, in order; completes when the media does. */
  get links(): Observable<LinkEvent> {
    return this.#links.asObservable();
  }

  /** True when the media interval [start, end) overlaps a reported gap. */
  gapOverlaps(start: number, end: number): boolean {
    return this.#gaps.some((g) => Math.min(end, g.to) - Math.max(start, g.from) > 1e-3);
  }

  /** The feed's media: the track layout, then frames and chunks on one media clock. Consumed once. */
  items(): Observable<IngestItem> {
    return new Observable<IngestItem>((subscriber) => {
      if (this.#consumed) {
        subscriber.error(new AffectStreamError('invalid_argument', `${this.#target.url}: a live source can be consumed once`));
        return;
      }
      this.#consumed = true;
      const run = new FeedRun(this.#target, this.#options, this.#decode, subscriber, {
        link: (event) => this.#links.next(event),
        gap: (gap) => {
          this.#gaps.push(gap);
          if (this.#gaps.length > GAPS_KEPT) this.#gaps.shift();
        },
      });
      run.start();
      return () => {
        run.stop();
        this.#links.complete();
      };
    });
  }

  toString(): string {
    return `LiveRtspSource(${this.#uri})`;
  }
}

interface RunHooks {
  link(event: LinkEvent): void;
  gap(gap: MediaGap): void;
}

/** The state of one subscription: the current connection, timers, and where media time stands. */
class FeedRun {
  readonly #target: RtspTarget;
  readonly #options: RtspSourceOptions;
  readonly #decode: Pick<DecodeOptions, 'fps' | 'width' | 'audioChunkSeconds'>;
  readonly #subscriber: Subscriber<IngestItem>;
  readonly #hooks: RunHooks;
  readonly #backoff: Backoff;
  readonly #lastItemMs = new Map<'video' | 'audio', number>();
  #layout: TrackLayout | undefined;
  #connection: RtspConnection | undefined;
  #originMs: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  /** Media has flowed on the current connection. */
  #flowing = false;
  #everFlowed = false;
  #mediaEnd = 0;
  #droppedAtMs = 0;
  #stopped = false;

  constructor(target: RtspTarget, options: RtspSourceOptions, decode: Pick<DecodeOptions, 'fps' | 'width' | 'audioChunkSeconds'>, subscriber: Subscriber<IngestItem>, hooks: RunHooks) {
    this.#target = target;
    this.#options = options;
    this.#decode = decode;
    this.#subscriber = subscriber;
    this.#hooks = hooks;
    this.#backoff = new Backoff(options.reconnect);
  }

  start(): void {
    void this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#watchdog);
    this.#connection?.close();
    this.#connection = undefined;
  }

  async #connect(): Promise<void> {
    let tracks: SdpTracks;
    try {
      tracks = await describeRtsp(this.#target, { timeoutMs: this.#options.describeTimeoutSeconds * 1000, tlsVerify: this.#options.tlsVerify });
    } catch (err) {
      if (!this.#stopped) this.#dropped(toAffectStreamError(err));
      return;
    }
    if (this.#stopped) return;
    const layout: TrackLayout = { video: tracks.video !== undefined, audio: tracks.audio !== undefined };
    if (!this.#layout) {
      this.#layout = layout;
      this.#subscriber.next({ kind: 'tracks', layout });
    } else if (layout.video !== this.#layout.video || layout.audio !== this.#layout.audio) {
      const tracksOf = (l: TrackLayout) => [l.video ? 'video' : '', l.audio ? 'audio' : ''].filter(Boolean).join(' and ');
      this.#fail(new AffectStreamError('unsupported_media', `${this.#target.url}: the feed came back with ${tracksOf(layout)} instead of ${tracksOf(this.#layout)}`));
      return;
    }
    let connection: RtspConnection;
    try {
      const launch = rtspLaunchString(this.#target, tracks, this.#options, this.#decode);
      connection = new RtspConnection(launch, layout, this.#target.url, this.#decode.fps, {
        item: (item) => this.#item(connection, item),
        end: (error) => this.#dropped(error ?? new AffectStreamError('source_unreachable', `source unreachable: ${this.#target.url}: the feed ended`, { retryable: true })),
      });
    } catch (err) {
      this.#fail(toAffectStreamError(err));
      return;
    }
    this.#connection = connection;
    this.#flowing = false;
    const seconds = this.#options.openTimeoutSeconds;
    this.#timer = setTimeout(() => this.#dropped(new AffectStreamError('source_unreachable', `source unreachable: ${this.#target.url}: no media within ${seconds} s`, { retryable: true })), seconds * 1000);
  }

  #item(connection: RtspConnection, item: MediaItem): void {
    if (this.#stopped || connection !== this.#connection) return;
    // The decoder reports when its running time began; should that report be late, the item's own arrival stands in.
    const startedAtMs = connection.startedAtMs ?? item.arrivalMs - item.pts * 1000;
    this.#originMs ??= startedAtMs;
    const pts = Math.max(0, item.pts + (startedAtMs - this.#originMs) / 1000);
    if (!this.#flowing) {
      this.#flowing = true;
      clearTimeout(this.#timer);
      if (this.#everFlowed) {
        const gap = { from: this.#mediaEnd, to: Math.max(this.#mediaEnd, pts) };
        const attempts = this.#backoff.attempts;
        this.#backoff.reset();
        // Before the item goes on: the windows it closes must already find their gap.
        this.#hooks.gap(gap);
        this.#hooks.link({ kind: 'resumed', attempts, gap, downtimeMs: Math.round(performance.now() - this.#droppedAtMs) });
      }
      this.#everFlowed = true;
      this.#lastItemMs.clear();
      this.#watchdog ??= setInterval(() => this.#checkLiveness(), WATCHDOG_INTERVAL_MS);
    }
    this.#lastItemMs.set(item.kind, item.arrivalMs);
    const end = item.kind === 'video' ? pts + item.duration : pts + item.samples.length / item.sampleRate;
    this.#mediaEnd = Math.max(this.#mediaEnd, end);
    this.#subscriber.next({ ...item, pts });
  }

  #checkLiveness(): void {
    if (!this.#flowing || !this.#layout) return;
    const now = performance.now();
    const limitMs = this.#options.noMediaTimeoutSeconds * 1000;
    for (const kind of ['video', 'audio'] as const) {
      if (!this.#layout[kind]) continue;
      // A track that has not started on this connection counts from the connection's first media.
      const last = this.#lastItemMs.get(kind) ?? Math.min(...this.#lastItemMs.values());
      if (now - last > limitMs) {
        this.#dropped(new AffectStreamError('source_unreachable', `source unreachable: ${this.#target.url}: no ${kind} for ${this.#options.noMediaTimeoutSeconds} s`, { retryable: true }));
        return;
      }
    }
  }

  /** The current connection (or attempt) is over: retry later, or fail when that cannot help. */
  #dropped(reason: AffectStreamError): void {
    if (this.#stopped) return;
    const wasFlowing = this.#flowing;
    this.#flowing = false;
    clearTimeout(this.#timer);
    this.#connection?.close();
    this.#connection = undefined;
    if (!this.#everFlowed || !reason.retryable) {
      this.#fail(reason);
      return;
    }
    if (wasFlowing) this.#droppedAtMs = performance.now();
    const delay = this.#backoff.next();
    if (delay === undefined) {
      this.#fail(new AffectStreamError('source_unreachable', `${reason.message} (gave up after ${this.#options.reconnect.maxAttempts} reconnection attempts)`));
      return;
    }
    this.#hooks.link({ kind: 'reconnecting', attempt: this.#backoff.attempts, retryInMs: delay, reason });
    this.#timer = setTimeout(() => void this.#connect(), delay);
  }

  #fail(error: AffectStreamError): void {
    if (this.#stopped) return;
    this.stop();
    this.#subscriber.error(error);
  }
}
