/**
 * Entry point of an inference worker thread. onnxruntime-node's run() works on its caller's thread,
 * so models live here, never on the main thread where WebRTC and WebSocket I/O run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toAffectStreamError } from '../errors.js';
import { FaceAnalyzer } from '../models/face-analyzer.js';
import { loadManifest } from '../models/manifest.js';
import { VoiceAnalyzer } from '../models/voice-analyzer.js';
import type { InferenceRequest, WorkerInit, WorkerReply, WorkerReady } from './inference-protocol.js';

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('inference-worker must run in a worker thread');
  const init = workerData as WorkerInit;
  let face: FaceAnalyzer;
  let voice: VoiceAnalyzer;
  try {
    const pack = loadManifest(init.manifestPath);
    const settings = { intraOpThreads: init.intraOpThreads };
    face = await FaceAnalyzer.create(pack, settings);
    voice = await VoiceAnalyzer.create(pack, settings);
  } catch (err) {
    const e = toAffectStreamError(err, 'model_failed');
    port.postMessage({ ready: false, code: e.code, message: e.message } satisfies WorkerReady);
    return;
  }
  port.postMessage({ ready: true } satisfies WorkerReady);

  // One request at a time: a worker is one inference lane; the pool decides how many lanes run.
  let queue = Promise.resolve();
  port.on('message', (message: { id: number; request: InferenceRequest }) => {
    queue = queue.then(async () => {
      const started = performance.now();
      try {
        const { request } = message;
        const result =
          request.type === 'faces'
            ? await face.analyze(request.frames.map((f) => ({ pts: f.pts, width: f.width, height: f.height, rgb: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) })))
            : await voice.analyze(request.audio, request.carry);
        port.postMessage({ id: message.id, ok: true, result, busyMs: performance.now() - started } satisfies WorkerReply);
      } catch (err) {
        const e = toAffectStreamError(err, 'model_failed');
        port.postMessage({ id: message.id, ok: false, code: e.code, message: e.message } satisfies WorkerReply);
      }
    });
  });
}

void main();
