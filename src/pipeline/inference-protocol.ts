/**
 * Messages between the main thread and the inference workers. Each request is one batch of one
 * model, built by that model's scheduler. Frames and face inputs travel as transferred ArrayBuffers
 * (no copy); per-stream voice state travels with each request so any worker can serve any stream.
 */
import type { ExpressionProbs } from '../core/abaw.js';
import type { DetectedFrame } from '../models/face-analyzer.js';
import type { VoiceRequest, VoiceResult } from '../models/voice-analyzer.js';
import type { FusionModelOutput } from '../models/fusion-models.js';
import type { ErrorCode } from '../core/errors.js';
import type { FusionInput } from '../core/fusion-layout.js';

/** Where ONNX Runtime runs the models. */
export const DEVICES = ['cpu', 'cuda', 'tensorrt'] as const;
export type Device = (typeof DEVICES)[number];

export interface WorkerInit {
  readonly manifestPath: string;
  readonly intraOpThreads: number;
  readonly device: Device;
  /** Refuse to start when `device` cannot load, instead of falling back to the CPU. */
  readonly deviceStrict: boolean;
}

export interface TransferredFrame {
  readonly pts: number;
  readonly width: number;
  readonly height: number;
  readonly buffer: ArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface FaceInputs {
  /** One input per expression model of the pack, in manifest order. */
  readonly inputs: Float32Array[];
}

export type InferenceRequest =
  | { readonly type: 'detect'; readonly frames: TransferredFrame[] }
  | { readonly type: 'classify'; readonly faces: FaceInputs[] }
  | { readonly type: 'voice'; readonly items: VoiceRequest[] }
  /** One window of each of several streams for the pack's learned fusion models. */
  | { readonly type: 'fusion'; readonly items: FusionInput[] }
  | { readonly type: 'cpu-time' };

/** What became of one item of a batch: a batch that fails is rerun item by item in the worker, so one bad item fails alone. */
export type ItemOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

export type InferenceResult<R extends InferenceRequest> = R extends { type: 'detect' }
  ? ItemOutcome<DetectedFrame>[]
  : R extends { type: 'classify' }
    ? ItemOutcome<ExpressionProbs>[]
    : R extends { type: 'voice' }
      ? ItemOutcome<VoiceResult>[]
      : R extends { type: 'fusion' }
        ? ItemOutcome<FusionModelOutput>[]
        : number;

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown; readonly busyMs: number }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string };

export type WorkerReady =
  | { readonly ready: true; readonly device: Device; readonly fallbackReason?: string }
  | { readonly ready: false; readonly code: ErrorCode; readonly message: string };
