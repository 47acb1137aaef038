/**
 * Creates ONNX Runtime sessions with the thread settings that suit many small models sharing a few
 * cores: a fixed intra-op thread count (the default, one per core, oversubscribes as soon as there
 * are several workers) and no spinning, which on a small machine steals the cores decoding needs.
 */
import ort from 'onnxruntime-node';
import { AffectStreamError } from '../core/errors.js';

export type ExecutionDevice = 'cpu' | 'cuda' | 'tensorrt';

export interface SessionSettings {
  readonly intraOpThreads: number;
  /** Default cpu. TensorRT takes the subgraphs it can and leaves the rest to CUDA, then to the CPU. */
  readonly device?: ExecutionDevice;
}

const PROVIDERS: Record<ExecutionDevice, string[]> = {
  cpu: ['cpu'],
  cuda: ['cuda', 'cpu'],
  tensorrt: ['tensorrt', 'cuda', 'cpu'],
};

// The native library logs a failed provider load on its own before throwing; the caller reports it once, clearly.
ort.env.logLevel = 'fatal';

export async function createSession(model: Uint8Array, name: string, settings: SessionSettings): Promise<ort.InferenceSession> {
  const device = settings.device ?? 'cpu';
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: PROVIDERS[device],
      intraOpNumThreads: settings.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      enableCpuMemArena: false,
      enableMemPattern: false,
      logSeverityLevel: 3,
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
  } catch (err) {
    const message = (err as Error).message;
    if (device !== 'cpu' && /ExecutionProvider|shared library|backend/i.test(message)) {
      throw new AffectStreamError('device_unavailable', `the ${device} execution provider cannot load (${message}); see "GPU" in the README for the provider files`, { cause: err });
    }
    throw new AffectStreamError('model_failed', `cannot load model ${name}: ${message}`, { cause: err });
  }
}

export async function runSession(session: ort.InferenceSession, name: string, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await session.run(feeds);
  } catch (err) {
    throw new AffectStreamError('model_failed', `model ${name} failed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The most items `input` takes per run: 1 for a model exported with a fixed batch of 1 (a user's own
 * model may be), unbounded for a symbolic batch axis. Callers run bigger batches in slices.
 */
export function batchLimitOf(session: ort.InferenceSession, input: string): number {
  const meta = session.inputMetadata.find((m) => m.name === input);
  const first = meta && meta.isTensor ? meta.shape[0] : undefined;
  return typeof first === 'number' && first > 0 ? first : Number.POSITIVE_INFINITY;
}

export function floatOutput(outputs: ort.InferenceSession.OnnxValueMapType, name: string): Float32Array {
  const tensor = outputs[name];
  if (!tensor || !(tensor.data instanceof Float32Array)) throw new AffectStreamError('model_failed', `model output ${name} is missing or not float32`);
  return tensor.data;
}

export { ort };
