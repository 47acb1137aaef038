/**
 * The inference engine every stream shares: one worker pool and one batch scheduler per model
 * (face detector, expression models, voice models). A frame goes to the detector's queue; each face
 * found goes on to the expression queue; a window's audio goes to the voice queue. Each queue batches
 * requests from all streams, so the cost of a model call is paid once per batch.
 */
import type { ExpressionProbs } from '../core/abaw.js';
import type { VideoFrame } from '../core/media.js';
import type { DetectedFrame, FrameFaces } from '../models/face-analyzer.js';
import type { VoiceRequest, VoiceResult } from '../models/voice-analyzer.js';
import type { FusionModelOutput } from '../models/fusion-models.js';
import { fusionModelsOf, loadManifest, type FusionModelsInfo } from '../models/manifest.js';
import { BatchScheduler, type BatchPolicy, type BatchStats, type DispatchTrace } from './batch-scheduler.js';
import type { Device, FaceInputs, ItemOutcome, TransferredFrame } from './inference-protocol.js';
import { AffectStreamError } from '../core/errors.js';
import { InferencePool, type PoolOptions, type PoolStats } from './worker-pool.js';
import type { FusionInput } from '../core/fusion-layout.js';

export interface BatchingOptions {
  readonly detect: BatchPolicy;
  readonly classify: BatchPolicy;
  readonly voice: BatchPolicy;
  /** The pack's learned fusion models (one window of a stream per request); unused without them. */
  readonly fusion: BatchPolicy;
}

/**
 * CPU defaults, from src/tools/bench/standalone/model-batching.ts and src/tools/bench/standalone/live-capacity.ts on a 2-core machine: the
 * convolutional models cost the same per item at any batch size there, so a deadline only adds
 * latency (8 live streams: p99 `latency_ms` 47 ms with no deadline, 486 ms with 10 ms, 1285 ms with
 * 40 ms). A batch still goes at once when a worker is free; while every worker is busy, requests pile
 * up and go together, so batches grow exactly when the machine is loaded. The VAD runs 3× cheaper per
 * stream at batch 8, which voice batches formed that way collect.
 */
export const CPU_BATCHING: BatchingOptions = Object.freeze({
  detect: { maxBatch: 16, maxDelayMs: 0 },
  classify: { maxBatch: 32, maxDelayMs: 0 },
  voice: { maxBatch: 16, maxDelayMs: 0 },
  fusion: { maxBatch: 32, maxDelayMs: 0 },
});

/**
 * GPU defaults: a GPU runs a batch of 16 in about the time of one, so requests wait a few ms for
 * company. Not measured here (no GPU on the development machine); tune with --batch-size/--batch-delay.
 */
export const GPU_BATCHING: BatchingOptions = Object.freeze({
  detect: { maxBatch: 32, maxDelayMs: 8 },
  classify: { maxBatch: 64, maxDelayMs: 4 },
  voice: { maxBatch: 32, maxDelayMs: 10 },
  fusion: { maxBatch: 64, maxDelayMs: 2 },
});

export function defaultBatching(device: Device): BatchingOptions {
  return device === 'cpu' ? CPU_BATCHING : GPU_BATCHING;
}

/** Every request alone, at once: the baseline that batching is measured against. */
export const NO_BATCHING: BatchingOptions = Object.freeze({
  detect: { maxBatch: 1, maxDelayMs: 0 },
  classify: { maxBatch: 1, maxDelayMs: 0 },
  voice: { maxBatch: 1, maxDelayMs: 0 },
  fusion: { maxBatch: 1, maxDelayMs: 0 },
});

export interface OverloadOptions {
  /** Face inference counts as behind when the oldest frame still being analysed was submitted this long ago, ms. */
  readonly maxFrameLagMs: number;
  /** Frames being analysed (queued or running), beyond which every new frame is dropped (bounds memory). */
  readonly maxQueuedFrames: number;
}

export const DEFAULT_OVERLOAD: OverloadOptions = Object.freeze({ maxFrameLagMs: 100, maxQueuedFrames: 64 });

export interface EngineOptions extends PoolOptions {
  /** Default: defaultBatching() of the device the models actually run on (after any fallback). */
  readonly batching?: BatchingOptions | ((device: Device) => BatchingOptions);
  readonly overload?: OverloadOptions;
}

export interface EngineStats {
  readonly pool: PoolStats;
  readonly device: string;
  readonly schedulers: BatchStats[];
}

/** How far behind the face path is, for admission decisions. */
export type FaceLoad = 'ok' | 'behind' | 'full';

export class InferenceEngine {
  readonly #pool: InferencePool;
  readonly #overload: OverloadOptions;
  readonly #detect: BatchScheduler<VideoFrame, DetectedFrame>;
  readonly #classify: BatchScheduler<FaceInputs, ExpressionProbs>;
  readonly #voice: BatchScheduler<VoiceRequest, VoiceResult>;
  readonly #fusion: BatchScheduler<FusionInput, FusionModelOutput>;
  readonly #fusionModels: FusionModelsInfo | undefined;
  /** Submission time of each frame still being analysed, oldest first (Map keeps insertion order). */
  readonly #outstanding = new Map<number, number>();
  #nextFrame = 0;

  private constructor(pool: InferencePool, batching: BatchingOptions, overload: OverloadOptions, fusionModels: FusionModelsInfo | undefined) {
    this.#pool = pool;
    this.#fusionModels = fusionModels;
    this.#overload = overload;
    const lanes = pool.size;
    this.#detect = new BatchScheduler<VideoFrame, DetectedFrame>({ name: 'detect', ...batching.detect, maxInFlight: lanes }, (frames) => {
      const transferred = frames.map(toTransferredFrame);
      // Frames are moved to the worker, not copied; the frame objects keep only their metadata.
      return pool.run({ type: 'detect', frames: transferred }, [...new Set(transferred.map((f) => f.buffer))]).then(unwrapOutcomes);
    });
    this.#classify = new BatchScheduler<FaceInputs, ExpressionProbs>({ name: 'classify', ...batching.classify, maxInFlight: lanes }, (faces) =>
      pool.run({ type: 'classify', faces }, [...new Set(faces.flatMap((f) => f.inputs.map((input) => input.buffer as ArrayBuffer)))]).then(unwrapOutcomes),
    );
    this.#voice = new BatchScheduler<VoiceRequest, VoiceResult>({ name: 'voice', ...batching.voice, maxInFlight: lanes }, (items) => pool.run({ type: 'voice', items }).then(unwrapOutcomes));
    this.#fusion = new BatchScheduler<FusionInput, FusionModelOutput>({ name: 'fusion', ...batching.fusion, maxInFlight: lanes }, (items) => pool.run({ type: 'fusion', items }).then(unwrapOutcomes));
  }

  static async create(options: EngineOptions): Promise<InferenceEngine> {
    // The workers validate the manifest too; reading it here tells the streams which fusion runs where.
    const fusionModels = fusionModelsOf(loadManifest(options.manifestPath).manifest);
    const pool = await InferencePool.create(options);
    const batching = typeof options.batching === 'function' ? options.batching(pool.device) : (options.batching ?? defaultBatching(pool.device));
    return new InferenceEngine(pool, batching, options.overload ?? DEFAULT_OVERLOAD, fusionModels);
  }

  /** The pack's learned fusion models; undefined: the streams fuse with the parameter-free layer. */
  get fusionModels(): FusionModelsInfo | undefined {
    return this.#fusionModels;
  }

  /** One stream-window through the pack's learned fusion models (batched across streams). */
  runFusion(input: FusionInput): Promise<FusionModelOutput> {
    return this.#fusion.submit(input);
  }

  get pool(): InferencePool {
    return this.#pool;
  }

  /**
   * Faces of one frame with their expression distributions: detector batch, then expression batch.
   * `trace` gets the time the frame's detector batch went to a worker.
   */
  async analyzeFrame(frame: VideoFrame, trace?: DispatchTrace): Promise<FrameFaces> {
    const id = this.#nextFrame++;
    this.#outstanding.set(id, performance.now());
    try {
      const detected = await this.#detect.submit(frame, trace);
      const probs = await Promise.all(detected.faces.map((face) => this.#classify.submit({ inputs: face.inputs })));
      return {
        pts: detected.pts,
        faces: detected.faces.map((face, i) => ({ box: face.box, score: face.score, probs: probs[i]!, ...(face.sharpness !== undefined ? { sharpness: face.sharpness } : {}) })),
      };
    } finally {
      this.#outstanding.delete(id);
    }
  }

  /** Expression distribution of one face whose inputs are already cut (evaluation on cropped face images). */
  classifyFace(face: FaceInputs): Promise<ExpressionProbs> {
    return this.#classify.submit(face);
  }

  /** `trace` gets the time the request's batch went to a worker. */
  analyzeVoice(request: VoiceRequest, trace?: DispatchTrace): Promise<VoiceResult> {
    return this.#voice.submit(request, trace);
  }

  /**
   * Whether face inference keeps up, judged by the oldest frame still in it (queued or in a running
   * batch: a queue alone looks short while a big batch runs); streams drop analysis frames while not.
   */
  faceLoad(): FaceLoad {
    if (this.#outstanding.size >= this.#overload.maxQueuedFrames) return 'full';
    const oldest = this.#outstanding.values().next();
    return !oldest.done && performance.now() - oldest.value > this.#overload.maxFrameLagMs ? 'behind' : 'ok';
  }

  stats(): EngineStats {
    return { pool: this.#pool.stats(), device: this.#pool.device, schedulers: [this.#detect.stats(), this.#classify.stats(), this.#voice.stats(), ...(this.#fusionModels ? [this.#fusion.stats()] : [])] };
  }

  async close(): Promise<void> {
    this.#detect.close();
    this.#classify.close();
    this.#voice.close();
    this.#fusion.close();
    await this.#pool.close();
  }
}

function unwrapOutcomes<T>(outcomes: ItemOutcome<T>[]): Array<T | AffectStreamError> {
  return outcomes.map((o) => (o.ok ? o.value : new AffectStreamError(o.code, o.message)));
}

function toTransferredFrame(frame: VideoFrame): TransferredFrame {
  const { rgb } = frame;
  return { pts: frame.pts, width: frame.width, height: frame.height, buffer: rgb.buffer as ArrayBuffer, byteOffset: rgb.byteOffset, byteLength: rgb.byteLength };
}
