/**
 * The peer comparison's two measured runs (each in its own child process), on the same frames and the
 * same thread budget of one compute thread: affectstream's face path (its face detector and expression
 * models in one inference worker with one ONNX Runtime thread) and @vladmandic/human (its BlazeFace
 * detector and emotion model on the tfjs WASM backend, single-threaded). Frames go one at a time, each
 * awaited, as a live caller hands them; the first few warm both up and are not counted.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { engineOptionsOf, parseAnalysisSettings } from '../../server/analysis-settings.js';
import { InferenceEngine } from '../../pipeline/inference-engine.js';
import { loadFrames } from './peer-frames.js';
import { providerName } from './machine.js';
import { ROOT } from './clips.js';

export interface PeerRunParams {
  readonly frames: string;
  readonly warmup: number;
}

export interface PeerRunResult {
  readonly library: string;
  readonly version: string;
  readonly backend: string;
  readonly threads: string;
  readonly frames: number;
  readonly wallS: number;
  readonly cpuS: number;
  readonly framesWithFace: number;
  /** affectstream: inference worker busy time per frame (its compute, without messaging and scheduling), ms. */
  readonly workerMsPerFrame?: number;
  /** How often each top expression came out (both libraries' own class names). */
  readonly labels: Record<string, number>;
}

function tally(labels: Record<string, number>, label: string | undefined): void {
  if (label !== undefined) labels[label] = (labels[label] ?? 0) + 1;
}

async function timed(count: number, warmup: number, one: (i: number) => Promise<string | undefined>, onStart?: () => void) {
  for (let i = 0; i < warmup; i++) await one(i);
  onStart?.();
  const labels: Record<string, number> = {};
  let framesWithFace = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  for (let i = warmup; i < count; i++) {
    const label = await one(i);
    if (label !== undefined) framesWithFace += 1;
    tally(labels, label);
  }
  const wallS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { frames: count - warmup, wallS, cpuS: (cpu.user + cpu.system) / 1e6, framesWithFace, labels };
}

const require = createRequire(import.meta.url);

export async function affectstreamFaceRun(params: PeerRunParams): Promise<PeerRunResult> {
  const set = loadFrames(params.frames);
  const engine = await InferenceEngine.create(engineOptionsOf(parseAnalysisSettings({ workers: 1, threads: 1 })));
  // Frames are moved to the worker, so each gets its own buffer (copied before the clock starts).
  const copies = set.frames.map((f) => f.slice());
  let busy0 = 0;
  try {
    const figures = await timed(copies.length, params.warmup, async (i) => {
      const faces = await engine.analyzeFrame({ kind: 'video', pts: i / 10, duration: 0.1, width: set.width, height: set.height, rgb: copies[i]!, arrivalMs: performance.now() });
      const probs = faces.faces[0]?.probs;
      return probs ? Object.entries(probs).reduce((a, b) => (b[1] > a[1] ? b : a))[0] : undefined;
    }, () => (busy0 = engine.stats().pool.busyMs));
    const workerMsPerFrame = (engine.stats().pool.busyMs - busy0) / figures.frames;
    const ort = require('onnxruntime-node/package.json') as { version: string };
    return { library: 'affectstream', version: readVersion(join(ROOT, 'package.json')), backend: `onnxruntime-node ${ort.version} ${providerName(engine.pool.device)}`, threads: '1 inference worker × 1 ONNX Runtime thread', ...figures, workerMsPerFrame };
  } finally {
    await engine.close();
  }
}

function readVersion(packageJson: string): string {
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

interface Tensor {
  dispose(): void;
}

interface TfCore {
  tensor3d(values: Int32Array, shape: [number, number, number], dtype: 'int32'): Tensor;
  getBackend(): string;
  env(): { getAsync(flag: string): Promise<unknown> };
  io: {
    registerLoadRouter(router: (url: string | string[]) => unknown): void;
    getModelArtifactsForJSON(json: unknown, loadWeights: (manifest: WeightsGroup[]) => Promise<[unknown[], ArrayBuffer]>): Promise<unknown>;
  };
}

interface WeightsGroup {
  paths: string[];
  weights: unknown[];
}

interface HumanResult {
  face: Array<{ emotion?: Array<{ score: number; emotion: string }> }>;
  error: string | null;
}

interface HumanInstance {
  load(): Promise<void>;
  detect(input: Tensor): Promise<HumanResult>;
  version: string;
}

const LOCAL = 'local://';

/**
 * Human fetches models by URL and Node's fetch does not read files; a tfjs load router for `local://`
 * reads the model JSON and its weight shards from the package's own models/ folder instead.
 */
function registerLocalModels(tf: TfCore): void {
  tf.io.registerLoadRouter((url) => {
    const path = Array.isArray(url) ? url[0] : url;
    if (typeof path !== 'string' || !path.startsWith(LOCAL)) return null;
    const file = path.slice(LOCAL.length);
    return {
      load: () =>
        tf.io.getModelArtifactsForJSON(JSON.parse(readFileSync(file, 'utf8')), async (manifest) => {
          const weights = Buffer.concat(manifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dirname(file), p)))));
          return [manifest.flatMap((group) => group.weights), weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer];
        }),
    };
  });
}

export async function humanFaceRun(params: PeerRunParams): Promise<PeerRunResult> {
  const set = loadFrames(params.frames);
  const tf = require('@tensorflow/tfjs-core') as TfCore;
  // The package's exports map lists its builds without "./", which Node does not match: the WASM
  // build is found beside the main one.
  const dist = dirname(require.resolve('@vladmandic/human'));
  const { Human } = require(join(dist, 'human.node-wasm.js')) as { Human: new (config: unknown) => HumanInstance };
  registerLocalModels(tf);
  const models = join(dist, '..', 'models');
  const wasm = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const off = { enabled: false };
  // Only what affectstream does too: a face detector and an expression model on each face, every
  // frame. Human's frame-skipping and result caching would otherwise reuse earlier frames' results.
  const human = new Human({
    backend: 'wasm',
    wasmPath: `${wasm}/`,
    modelBasePath: `${LOCAL}${models}/`,
    debug: false,
    async: false,
    warmup: 'none',
    cacheSensitivity: 0,
    filter: off,
    gesture: off,
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 10, skipFrames: 0, skipTime: 0 },
      mesh: off,
      iris: off,
      attention: off,
      emotion: { enabled: true, skipFrames: 0, skipTime: 0 },
      description: off,
      antispoof: off,
      liveness: off,
    },
    body: off,
    hand: off,
    object: off,
    segmentation: off,
  });
  await human.load();
  const figures = await timed(set.frames.length, params.warmup, async (i) => {
    const frame = set.frames[i]!;
    // The cheapest way in: tfjs takes int32 pixels; the typed-array constructor converts in one pass.
    const tensor = tf.tensor3d(new Int32Array(frame), [set.height, set.width, 3], 'int32');
    try {
      const result = await human.detect(tensor);
      if (result.error) throw new Error(`human: ${result.error}`);
      const emotions = result.face[0]?.emotion;
      if (!result.face[0]) return undefined;
      return emotions && emotions.length > 0 ? emotions.reduce((a, b) => (b.score > a.score ? b : a)).emotion : 'none';
    } finally {
      tensor.dispose();
    }
  });
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threaded = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
  return {
    library: '@vladmandic/human',
    version: human.version,
    backend: `tfjs ${readVersion(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))} ${tf.getBackend()}${simd ? ' SIMD' : ''}`,
    threads: threaded ? 'tfjs WASM thread pool' : 'one thread (tfjs WASM without threads, on the main thread)',
    ...figures,
  };
}
