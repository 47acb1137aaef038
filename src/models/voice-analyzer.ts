/**
 * The voice branch, run inside an inference worker. Silero VAD gives speech probability per 32 ms
 * frame; the same frames give level and pitch; the log-mel front end and the speech-embedding model
 * give 96-d speech features every 80 ms. The worker keeps no per-stream state: the caller passes the
 * VAD's recurrent state and the audio carried over from the previous window, and gets them back.
 */
import type { LoadedManifest, MelSpec, SpeechEmbeddingSpec, VadSpec } from './manifest.js';
import { readVerifiedModel } from './manifest.js';
import { createSession, floatOutput, ort, runSession, type SessionSettings } from './ort-session.js';
import { rmsDb, yinPitch } from './prosody.js';

export interface VoiceCarry {
  /** Silero's recurrent state, flattened [2,1,128]. */
  readonly vadState: Float32Array;
  /** Samples not yet analysed because they did not fill a VAD frame. */
  readonly pending: Float32Array;
  /** The last samples the VAD saw, its left context for the next frame. */
  readonly context: Float32Array;
  /** Recent audio kept so speech embeddings can span window boundaries. */
  readonly melTail: Float32Array;
}

export interface VoiceFrame {
  /** Start of the frame, seconds relative to the window start (the first may be negative). */
  readonly t: number;
  readonly speech: number;
  readonly energyDb: number;
  readonly pitchHz: number | null;
}

export interface VoiceResult {
  readonly frames: VoiceFrame[];
  /** Speech embeddings, `dimensions` floats each, for patches ending inside this window. */
  readonly embeddings: Float32Array;
  readonly embeddingCount: number;
  readonly carry: VoiceCarry;
}

export function initialVoiceCarry(spec: VadSpec): VoiceCarry {
  const [a, b, c] = spec.stateShape;
  return {
    vadState: new Float32Array(a * b * c),
    pending: new Float32Array(0),
    context: new Float32Array(spec.contextSamples),
    melTail: new Float32Array(0),
  };
}

export class VoiceAnalyzer {
  readonly #vadSpec: VadSpec;
  readonly #melSpec: MelSpec;
  readonly #embeddingSpec: SpeechEmbeddingSpec;
  readonly #vad: ort.InferenceSession;
  readonly #mel: ort.InferenceSession;
  readonly #embedding: ort.InferenceSession;
  readonly #sampleRateTensor: ort.Tensor;

  private constructor(specs: [VadSpec, MelSpec, SpeechEmbeddingSpec], sessions: [ort.InferenceSession, ort.InferenceSession, ort.InferenceSession]) {
    [this.#vadSpec, this.#melSpec, this.#embeddingSpec] = specs;
    [this.#vad, this.#mel, this.#embedding] = sessions;
    this.#sampleRateTensor = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
  }

  static async create(pack: LoadedManifest, settings: SessionSettings): Promise<VoiceAnalyzer> {
    const { vad, mel, speechEmbedding } = pack.manifest.models;
    const load = (spec: { file: string; sha256: string }) => createSession(readVerifiedModel(pack.pathOf(spec), spec.sha256), spec.file, settings);
    return new VoiceAnalyzer([vad, mel, speechEmbedding], [await load(vad), await load(mel), await load(speechEmbedding)]);
  }

  get sampleRate(): number {
    return 16000;
  }

  async analyze(audio: Float32Array, carry: VoiceCarry): Promise<VoiceResult> {
    const { frames, state, pending, context } = await this.#voiceFrames(audio, carry);
    const { embeddings, count, melTail } = await this.#embeddings(audio, carry.melTail);
    return { frames, embeddings, embeddingCount: count, carry: { vadState: state, pending, context, melTail } };
  }

  async #voiceFrames(audio: Float32Array, carry: VoiceCarry) {
    const spec = this.#vadSpec;
    const chunk = spec.chunkSamples;
    const samples = joinAudio(carry.pending, audio);
    const offset = -carry.pending.length;
    const frames: VoiceFrame[] = [];
    let state = carry.vadState;
    let context = carry.context;
    // One input buffer for every frame: each run finishes before the buffer is refilled.
    const input = new Float32Array(spec.contextSamples + chunk);
    let at = 0;
    for (; at + chunk <= samples.length; at += chunk) {
      input.set(context, 0);
      input.set(samples.subarray(at, at + chunk), spec.contextSamples);
      const outputs = await runSession(this.#vad, spec.file, {
        [spec.input]: new ort.Tensor('float32', input, [1, input.length]),
        [spec.state]: new ort.Tensor('float32', state, spec.stateShape),
        [spec.sampleRateInput]: this.#sampleRateTensor,
      });
      state = Float32Array.from(floatOutput(outputs, spec.stateOutput));
      context = samples.slice(at + chunk - spec.contextSamples, at + chunk);
      frames.push({
        t: (offset + at) / this.sampleRate,
        speech: floatOutput(outputs, spec.output)[0] ?? 0,
        energyDb: rmsDb(samples, at, chunk),
        pitchHz: yinPitch(samples, at, chunk),
      });
    }
    return { frames, state, pending: samples.slice(at), context };
  }

  async #embeddings(audio: Float32Array, melTail: Float32Array) {
    const mel = this.#melSpec;
    const emb = this.#embeddingSpec;
    const samples = joinAudio(melTail, audio);
    const scaled = new Float32Array(samples.length);
    for (let i = 0; i < samples.length; i++) scaled[i] = samples[i]! * mel.inputScale;
    const melOut = await runSession(this.#mel, mel.file, { [mel.input]: new ort.Tensor('float32', scaled, [1, scaled.length]) });
    const spectrogram = floatOutput(melOut, mel.output);
    const frameCount = Math.floor(spectrogram.length / mel.bins);
    const tailFrames = Math.floor(melTail.length / mel.hopSamples);
    // Patches end at the newest frame and step back by the hop, keeping those that end in this window.
    const starts: number[] = [];
    for (let s = frameCount - emb.frames; s >= 0 && s + emb.frames > tailFrames; s -= emb.hopFrames) starts.unshift(s);
    const keep = Math.round((emb.frames * mel.hopSamples) + mel.hopSamples * 3);
    const nextTail = samples.slice(Math.max(0, samples.length - keep));
    if (starts.length === 0) return { embeddings: new Float32Array(0), count: 0, melTail: nextTail };
    const patchSize = emb.frames * mel.bins;
    const batch = new Float32Array(starts.length * patchSize);
    starts.forEach((s, i) => {
      for (let j = 0; j < patchSize; j++) batch[i * patchSize + j] = spectrogram[s * mel.bins + j]! * mel.embeddingInputScale + mel.embeddingInputOffset;
    });
    const out = await runSession(this.#embedding, emb.file, { [emb.input]: new ort.Tensor('float32', batch, [starts.length, emb.frames, mel.bins, 1]) });
    return { embeddings: Float32Array.from(floatOutput(out, emb.output)), count: starts.length, melTail: nextTail };
  }
}

function joinAudio(head: Float32Array, tail: Float32Array): Float32Array {
  if (head.length === 0) return tail;
  const joined = new Float32Array(head.length + tail.length);
  joined.set(head, 0);
  joined.set(tail, head.length);
  return joined;
}
