/**
 * Entry point of an inference worker thread. onnxruntime-node's run() works on its caller's thread,
 * so models live here, never on the main thread where WebRTC and WebSocket I/O run. Each message is
 * one batch of one model, built by that model's scheduler on the main thread.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { AffectStreamError, toAffectStreamError } from '../errors.js';
import { FaceAnalyzer, type DetectedFrame } from '../models/face-analyzer.js';
import { loadManifest, type LoadedManifest } from '../models/manifest.js';
import type { SessionSettings } from '../models/ort-session.js';
import { VoiceAnalyzer } from '../models/voice-analyzer.js';
import type { Device, InferenceRequest, WorkerInit, WorkerReply, WorkerReady } from './inference-protocol.js';

interface Models {
  readonly face: FaceAnalyzer;
  readonly voice: VoiceAnalyzer;
  readonly device: Device;
  readonly fallbackReason?: string;
}

async function loadModels(pack: LoadedManifest, init: WorkerInit): Promise<Models> {
  const load = async (settings: SessionSettings) => ({ face: await FaceAnalyzer.create(pack, settings), voice: await VoiceAnalyzer.create(pack, settings) });
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

function transferablesOf(frames: DetectedFrame[]): ArrayBuffer[] {
  return frames.flatMap((f) => f.faces.flatMap((face) => face.inputs.map((input) => input.buffer as ArrayBuffer)));
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
    queue = queue.then(async () => {
      const started = performance.now();
      try {
        const { request } = message;
        let result: unknown;
        let transfer: ArrayBuffer[] = [];
        switch (request.type) {
          case 'detect': {
            const frames = await models.face.detect(request.frames.map((f) => ({ pts: f.pts, width: f.width, height: f.height, rgb: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) })));
            transfer = transferablesOf(frames);
            result = frames;
            break;
          }
          case 'classify':
            result = await models.face.classify(request.faces);
            break;
          case 'voice':
            result = await models.voice.analyzeBatch(request.items);
            break;
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
    });
  });
}

void main();
