// Extracts what the runtime's speech expression model reads, with the runtime's own code: every file is
// decoded by GStreamer to 16 kHz mono float (the analysis format), cut into the pipeline's 1 s windows
// and run through the project's VoiceAnalyzer window by window with its carried state, so the log-mel
// frames and speech embeddings saved here are the numbers the model gets at run time.
//   npx tsc -p tsconfig.json && node training/extract-speech-features.mjs DATA_DIR OUT_DIR [--models MANIFEST]
// DATA_DIR: RAVDESS speech (Actor_xx/*.flac|wav). OUT_DIR gets mel.f32 [frames, bins], embeddings.f32
// [count, dims] (little-endian float32) and index.json (per file: labels and offsets into both).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadManifest } from '../dist/src/models/manifest.js';
import { VoiceAnalyzer, initialVoiceCarry } from '../dist/src/models/voice-analyzer.js';
import { parseRavdessName } from '../dist/src/tools/eval/ravdess-names.js';

const args = process.argv.slice(2);
const modelsAt = args.indexOf('--models');
const manifestPath = modelsAt >= 0 ? args.splice(modelsAt, 2)[1] : 'models/default/manifest.json';
const [dataDir, outDir] = args;
if (!dataDir || !outDir) {
  console.error('usage: node training/extract-speech-features.mjs DATA_DIR OUT_DIR [--models MANIFEST]');
  process.exit(2);
}
const SAMPLE_RATE = 16000;
const WINDOW = SAMPLE_RATE; // the pipeline's default 1 s window
const MIN_TAIL = WINDOW / 4; // the windower drops a last window shorter than a quarter window

function audioFiles(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return audioFiles(path);
    return /\.(flac|wav)$/i.test(name) ? [path] : [];
  });
}

function decode(path) {
  return new Promise((resolveDecode, reject) => {
    const gst = spawn('gst-launch-1.0', ['-q', 'filesrc', `location=${path}`, '!', 'decodebin', '!', 'audioconvert', '!', 'audioresample', '!', `audio/x-raw,format=F32LE,channels=1,rate=${SAMPLE_RATE}`, '!', 'fdsink', 'fd=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    let stderr = '';
    gst.stdout.on('data', (c) => chunks.push(c));
    gst.stderr.on('data', (c) => (stderr += c));
    gst.on('error', reject);
    gst.on('close', (code) => {
      if (code !== 0) return reject(new Error(`gst-launch-1.0 failed on ${path}: ${stderr.trim()}`));
      const bytes = Buffer.concat(chunks);
      const samples = new Float32Array(bytes.length / 4);
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readFloatLE(i * 4);
      resolveDecode(samples);
    });
  });
}

const pack = loadManifest(resolve(manifestPath));
const analyzer = await VoiceAnalyzer.create(pack, { intraOpThreads: 1 });
const { bins } = pack.manifest.models.mel;
const dims = pack.manifest.models.speechEmbedding.dimensions;
mkdirSync(outDir, { recursive: true });
const melFd = openSync(join(outDir, 'mel.f32'), 'w');
const embFd = openSync(join(outDir, 'embeddings.f32'), 'w');
const files = audioFiles(resolve(dataDir));
const index = [];
let melAt = 0;
let embAt = 0;
const started = performance.now();
let next = decode(files[0]);
for (let f = 0; f < files.length; f++) {
  const samples = await next;
  // Decoding the next file overlaps the analysis of this one.
  if (f + 1 < files.length) next = decode(files[f + 1]);
  const label = parseRavdessName(files[f]);
  let carry = initialVoiceCarry(pack.manifest.models.vad);
  const speech = [];
  let melFrames = 0;
  const embEnds = [];
  for (let start = 0; start < samples.length; start += WINDOW) {
    const audio = samples.slice(start, Math.min(samples.length, start + WINDOW));
    if (start > 0 && audio.length < MIN_TAIL) break;
    const [result] = await analyzer.analyzeBatch([{ audio, carry, embeddings: true, features: true }]);
    carry = result.carry;
    writeSync(melFd, Buffer.from(result.mel.buffer, result.mel.byteOffset, result.mel.byteLength));
    writeSync(embFd, Buffer.from(result.embeddings.buffer, result.embeddings.byteOffset, result.embeddings.byteLength));
    melFrames += result.mel.length / bins;
    embEnds.push(...result.embeddingEnds);
    for (const fr of result.frames) speech.push(Math.round(fr.speech * 1000) / 1000);
  }
  index.push({ file: files[f].slice(resolve(dataDir).length + 1), ...label, samples: samples.length, melOffset: melAt, melFrames, embOffset: embAt, embCount: embEnds.length, embEnds, vad: speech });
  melAt += melFrames;
  embAt += embEnds.length;
  if ((f + 1) % 100 === 0) console.error(`${f + 1}/${files.length} files, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
closeSync(melFd);
closeSync(embFd);
writeFileSync(join(outDir, 'index.json'), JSON.stringify({ manifest: manifestPath, sampleRate: SAMPLE_RATE, windowSamples: WINDOW, bins, dims, hopSamples: pack.manifest.models.mel.hopSamples, vadHopSamples: pack.manifest.models.vad.chunkSamples, files: index }));
console.error(`${files.length} files, ${melAt} mel frames, ${embAt} embeddings in ${((performance.now() - started) / 1000).toFixed(1)} s → ${outDir}`);
