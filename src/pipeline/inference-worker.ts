/**
 * Entry point of an inference worker thread. onnxruntime-node's run() works on its caller's thread,
 * so models live here, never on the main thread where WebRTC and WebSocket I/O run. Each message is
 * one batch of one model, built by that model's scheduler on the main thread.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { AffectStreamError, toAffectStreamError } from '../core/errors.js';
import { FaceAnalyzer, type DetectedFrame, type FrameInput } from '../models/face-analyzer.js';
import { loadManifest, type LoadedManifest } from '../models/manifest.js';
import type { SessionSettings } from '../models/ort-session.js';
import { VoiceAnalyzer } from '../models/voice-analyzer.js';
import { FusionModels } from '../models/fusion-models.js';
import type { Device, InferenceRequest, ItemOutcome, TransferredFrame, WorkerInit, WorkerReply, WorkerReady } from './inference-protocol.js';

interface Models {
  readonly face: FaceAnalyzer;
  readonly voice: VoiceAnalyzer;
  /** The pack's learned fusion models; undefined when it has none. */
  readonly fusion: FusionModels | undefined;
  readonly device: Device;
  readonly fallbackReason?: string;
}

async function loadModels(pack: LoadedManifest, init: WorkerInit): Promise<Models> {
  const load = async (settings: SessionSettings) => ({
    face: await FaceAnalyzer.create(pack, settings),
    voice: await VoiceAnalyzer.create(pack, settings),
    fusion: await FusionModels.create(pack, settings),
  });
  try {
    return { ...(await load({ intraOpThreads: init.intraOpThreads, device: init.device })), device: init.device };
  } catch (err) {
    const e = toAffectStreamError(err, 'model_failed');
    if (e.code !== 'device_unavailable' || init.deviceStrict) throw e;
    return { ...(await load({ intraOpThreads: init.intraOpThreads, device: 'cpu' })), device: 'cpu', fallbackReason: e.message };
  }
}

/** CPU time this thread has used, ms: ONNX Runtime with one intra-op thread computes on the calling thread. */
function threadCpuMs(): number {
  try {
    // Fields after the command name: state is field 3, utime 14 and stime 15 (clock ticks, 100 per second on Linux).
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function transferablesOf(outcomes: ItemOutcome<DetectedFrame>[]): ArrayBuffer[] {
  return outcomes.flatMap((o) => (o.ok ? o.value.faces.flatMap((face) => face.inputs.map((input) => input.buffer as ArrayBuffer)) : []));
}

/**
 * Runs a batch; if it fails, runs its items one by one, so that one bad item (a corrupt frame of one
 * stream) fails alone instead of failing the other streams' items that shared its batch.
 */
async function runIsolated<I, O>(items: readonly I[], run: (items: readonly I[]) => Promise<O[]>): Promise<ItemOutcome<O>[]> {
  const failed = (err: unknown): ItemOutcome<O> => {
    const e = toAffectStreamError(err, 'model_failed');
    return { ok: false, code: e.code, message: e.message };
  };
  try {
    return (await run(items)).map((value) => ({ ok: true, value }));
  } catch (err) {
    if (items.length === 1) return [failed(err)];
  }
  const outcomes: ItemOutcome<O>[] = [];
  for (const item of items) {
    try {
      outcomes.push({ ok: true, value: (await run([item]))[0]! });
    } catch (err) {
      outcomes.push(failed(err));
    }
  }
  return outcomes;
}

function frameInput(f: TransferredFrame): FrameInput {
  if (f.byteLength !== f.width * f.height * 3) throw new AffectStreamError('model_failed', `frame at ${f.pts} s has ${f.byteLength} bytes of pixels, expected ${f.width}×${f.height}×3`);
  return { pts: f.pts, width: f.width, height: f.height, rgb: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('inference-worker must run in a worker thread');
  const init = workerData as WorkerInit;
  let models: Models;
  try {
    models = await loadModels(loadManifest(init.manifestPath), init);
  } catch (err) {
    const e = toAffectStreamError(err, 'model_failed');
    port.postMessage({ ready: false, code: e.code, message: e.message } satisfies WorkerReady);
    return;
  }
  port.postMessage({ ready: true, device: models.device, ...(models.fallbackReason ? { fallbackReason: models.fallbackReason } : {}) } satisfies WorkerReady);

  // One batch at a time: a worker is one inference lane; the pool decides how many lanes run.
  let queue = Promise.resolve();
  port.on('message', (message: { id: number; request: InferenceRequest }) => {
    const handle = async () => {
      const started = performance.now();
      try {
        const { request } = message;
        let result: unknown;
        let transfer: ArrayBuffer[] = [];
        switch (request.type) {
          case 'detect': {
            const outcomes = await runIsolated(request.frames, (frames) => models.face.detect(frames.map(frameInput)));
            transfer = transferablesOf(outcomes);
            result = outcomes;
            break;
          }
          case 'classify':
            result = await runIsolated(request.faces, (faces) => models.face.classify(faces));
            break;
          case 'voice':
            result = await runIsolated(request.items, (items) => models.voice.analyzeBatch(items));
            break;
          case 'fusion': {
            const fusion = models.fusion;
            if (!fusion) throw new AffectStreamError('internal', 'fusion request, but the model pack declares no fusion model');
            result = await runIsolated(request.items, (items) => fusion.run(items));
            break;
          }
          case 'cpu-time':
            result = threadCpuMs();
            break;
          default:
            throw new AffectStreamError('internal', `unknown inference request ${(request as { type: string }).type}`);
        }
        port.postMessage({ id: message.id, ok: true, result, busyMs: performance.now() - started } satisfies WorkerReply, transfer);
      } catch (err) {
        const e = toAffectStreamError(err, 'model_failed');
        port.postMessage({ id: message.id, ok: false, code: e.code, message: e.message } satisfies WorkerReply);
      }
    };
    // A fusion request is a fraction of a millisecond and is all that stands between a window and its
    // event, so it does not queue behind the batches waiting here: it starts at once and runs at the
    // next await of the batch in progress (ONNX Runtime computes synchronously, so nothing overlaps).
    if (message.request.type === 'fusion') void handle();
    else queue = queue.then(handle);
  });
}

void main();
