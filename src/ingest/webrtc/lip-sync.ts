/**
 * Audio/video alignment from RTCP sender reports. Each track's decoder stamps media on the session's
 * receive clock, anchored at the arrival of the track's first packet and advanced by RTP timestamps.
 * That leaves the two tracks off by the difference in their capture-to-arrival delays (the encoder
 * and packetiser of video usually take longer). A sender report ties a track's RTP clock to the
 * sender's wall clock (NTP); with one report per track we know where each track's first packet was
 * captured, and shift one track so the same capture instant gets the same media time in both.
 *
 * Shifts only ever move a track forward: a backward jump would put media into windows already closed.
 * Pure: no timers, no I/O.
 */
export type TrackKind = 'audio' | 'video';

export interface LipSyncOptions {
  /** Misalignment smaller than this is left alone (one shift per report would be churn). */
  readonly toleranceSeconds: number;
  /** A report asking for more than this is taken as bogus (a sender clock step) and ignored. */
  readonly maxShiftSeconds: number;
}

export const DEFAULT_LIP_SYNC: Readonly<LipSyncOptions> = Object.freeze({ toleranceSeconds: 0.01, maxShiftSeconds: 1 });

interface TrackAnchor {
  /** Session media time of the track's first packet, seconds. */
  readonly mediaSeconds: number;
  readonly extRtp: number;
  readonly clockRate: number;
  /** Sender NTP time (seconds) at which that first packet was captured, once a report has come. */
  ntpSeconds?: number;
}

export class LipSync {
  readonly #options: LipSyncOptions;
  readonly #anchors = new Map<TrackKind, TrackAnchor>();
  readonly #offsets: Record<TrackKind, number> = { audio: 0, video: 0 };
  #shifts = 0;

  constructor(options: Partial<LipSyncOptions> = {}) {
    this.#options = { ...DEFAULT_LIP_SYNC, ...options };
  }

  /** The track's first packet: its session media time and extended RTP timestamp. */
  anchor(kind: TrackKind, mediaSeconds: number, extRtp: number, clockRate: number): void {
    if (!this.#anchors.has(kind)) this.#anchors.set(kind, { mediaSeconds, extRtp, clockRate });
  }

  /** A sender report: sender wall clock `ntpSeconds` corresponds to the track's `extRtp`. */
  senderReport(kind: TrackKind, ntpSeconds: number, extRtp: number): void {
    const anchor = this.#anchors.get(kind);
    if (!anchor) return;
    anchor.ntpSeconds = ntpSeconds + (anchor.extRtp - extRtp) / anchor.clockRate;
    this.#align();
  }

  /** Seconds to add to the track's session media times. */
  offset(kind: TrackKind): number {
    return this.#offsets[kind];
  }

  stats(): { shifts: number; audioOffset: number; videoOffset: number } {
    return { shifts: this.#shifts, audioOffset: this.#offsets.audio, videoOffset: this.#offsets.video };
  }

  #align(): void {
    const audio = this.#anchors.get('audio');
    const video = this.#anchors.get('video');
    if (audio?.ntpSeconds === undefined || video?.ntpSeconds === undefined) return;
    // Wanted: media(video) − media(audio) = capture(video) − capture(audio) for the two first packets.
    const wanted = video.ntpSeconds - audio.ntpSeconds;
    const have = video.mediaSeconds + this.#offsets.video - (audio.mediaSeconds + this.#offsets.audio);
    const error = wanted - have;
    if (Math.abs(error) < this.#options.toleranceSeconds || Math.abs(error) > this.#options.maxShiftSeconds) return;
    if (error > 0) this.#offsets.video += error;
    else this.#offsets.audio -= error;
    this.#shifts += 1;
  }
}
