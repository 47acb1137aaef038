/**
 * Messages between the main thread and the inference workers. Frames travel as transferred
 * ArrayBuffers (no copy); per-stream voice state travels with each request so any worker can serve it.
 */
import type { FrameFaces } from '../models/face-analyzer.js';
import type { VoiceCarry, VoiceResult } from '../models/voice-analyzer.js';
import type { ErrorCode } from '../errors.js';

export interface WorkerInit {
  readonly manifestPath: string;
  readonly intraOpThreads: number;
}

export interface TransferredFrame {
  readonly pts: number;
  readonly width: number;
  readonly height: number;
  readonly buffer: ArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
}

export type InferenceRequest =
  | { readonly type: 'faces'; readonly frames: TransferredFrame[] }
  | { readonly type: 'voice'; readonly audio: Float32Array; readonly carry: VoiceCarry };

export type InferenceResult<R extends InferenceRequest> = R extends { type: 'faces' } ? FrameFaces[] : VoiceResult;

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result: FrameFaces[] | VoiceResult; readonly busyMs: number }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string };

export type WorkerReady = { readonly ready: true } | { readonly ready: false; readonly code: ErrorCode; readonly message: string };
