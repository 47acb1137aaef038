/**
 * What a batch buys on each model of the pack, inside one ONNX Runtime session with the settings the
 * workers use: milliseconds per item at batch sizes 1…32, and the speed-up over running the same
 * items one call each. The scheduler's default batch sizes and deadlines come from these figures.
 *
 *   node dist/src/tools/bench/standalone/model-batching.js [--models models/default/manifest.json] [--repeats 40]
 */
import { parseArgs } from 'node:util';
import { DEFAULT_MANIFEST } from '../../../server/analysis-settings.js';
import { loadManifest, readVerifiedModel } from '../../../models/manifest.js';
import { createSession, ort } from '../../../models/ort-session.js';

const { values } = parseArgs({ options: { models: { type: 'string' }, repeats: { type: 'string' } } });
const pack = loadManifest(values.models ?? DEFAULT_MANIFEST);
const repeats = Number(values.repeats ?? 40);
const BATCHES = [1, 2, 4, 8, 16, 32];

interface Case {
  readonly name: string;
  readonly spec: { readonly file: string; readonly sha256: string };
  readonly feeds: (batch: number) => Record<string, ort.Tensor>;
}

function noise(length: number, scale = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.sin(i * 0.7312 + Math.cos(i * 0.013)) * scale;
  return out;
}

const m = pack.manifest.models;
const cases: Case[] = [
  {
    name: 'face detector (BlazeFace 128)',
    spec: m.faceDetector,
    feeds: (n) => ({ [m.faceDetector.input]: new ort.Tensor('float32', noise(n * 128 * 128 * 3), [n, 128, 128, 3]) }),
  },
  ...m.expression.map((spec) => {
    const channels = spec.color === 'gray' ? 1 : 3;
    return {
      name: `expression ${spec.name} (${spec.inputSize}×${spec.inputSize}×${channels})`,
      spec,
      feeds: (n: number) => ({ [spec.input]: new ort.Tensor('float32', noise(n * spec.inputSize * spec.inputSize * channels), [n, spec.inputSize, spec.inputSize, channels]) }),
    };
  }),
  {
    name: 'voice activity (Silero v5, one 32 ms step)',
    spec: m.vad,
    feeds: (n) => ({
      [m.vad.input]: new ort.Tensor('float32', noise(n * (m.vad.chunkSamples + m.vad.contextSamples), 0.1), [n, m.vad.chunkSamples + m.vad.contextSamples]),
      [m.vad.state]: new ort.Tensor('float32', new Float32Array(2 * n * 128), [2, n, 128]),
      [m.vad.sampleRateInput]: new ort.Tensor('int64', BigInt64Array.from([16000n]), []),
    }),
  },
  {
    name: 'log-mel front end (1 s of audio)',
    spec: m.mel,
    feeds: (n) => ({ [m.mel.input]: new ort.Tensor('float32', noise(n * 16000, 3000), [n, 16000]) }),
  },
  {
    name: 'speech embedding (one 0.76 s patch)',
    spec: m.speechEmbedding,
    feeds: (n) => ({ [m.speechEmbedding.input]: new ort.Tensor('float32', noise(n * 76 * 32), [n, 76, 32, 1]) }),
  },
];

console.log(`model-batching: ms per item by batch size, one session, 1 intra-op thread, ${repeats} repeats (median)`);
for (const c of cases) {
  const session = await createSession(readVerifiedModel(pack.pathOf(c.spec), c.spec.sha256), c.name, { intraOpThreads: 1 });
  const perItem: number[] = [];
  for (const batch of BATCHES) {
    const feeds = c.feeds(batch);
    for (let i = 0; i < 3; i++) await session.run(feeds);
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    perItem.push(times[Math.floor(times.length / 2)]! / batch);
  }
  const base = perItem[0]!;
  console.log(`\n${c.name}`);
  BATCHES.forEach((b, i) => console.log(`  batch ${String(b).padStart(2)}: ${perItem[i]!.toFixed(3)} ms/item  ×${(base / perItem[i]!).toFixed(2)} vs batch 1`));
  await session.release();
}

