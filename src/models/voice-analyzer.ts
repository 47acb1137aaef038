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

/** One stream's next window of audio, with the state its previous window left. */
export interface VoiceRequest {
  readonly audio: Float32Array;
  readonly carry: VoiceCarry;
  /** Compute speech embeddings (the costliest part); off when nothing downstream reads them. */
  readonly embeddings?: boolean;
  /** Pitch is tracked only on frames at least this likely to be speech (pitch of silence means nothing); default 0. */
  readonly pitchMinSpeech?: number;
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

  /**
   * Analyses one window of audio for each of several streams in one go. The VAD steps through the
   * streams' 32 ms frames in lockstep, one run per step for all of them (its recurrent state has a
   * batch axis), and the speech-embedding patches of all streams go through one run.
   */
  async analyzeBatch(items: ReadonlyArray<VoiceRequest>): Promise<VoiceResult[]> {
    if (items.length === 0) return [];
    const vad = await this.#voiceFrames(items);
    const embeddings = await this.#embeddings(items);
    return items.map((_, i) => ({
      frames: vad[i]!.frames,
      embeddings: embeddings[i]!.embeddings,
      embeddingCount: embeddings[i]!.count,
      carry: { vadState: vad[i]!.state, pending: vad[i]!.pending, context: vad[i]!.context, melTail: embeddings[i]!.melTail },
    }));
  }

  async #voiceFrames(items: ReadonlyArray<VoiceRequest>) {
    const spec = this.#vadSpec;
    const chunk = spec.chunkSamples;
    const width = spec.contextSamples + chunk;
    const [layers, , units] = spec.stateShape;
    const stateSize = layers * units;
    const streams = items.map(({ audio, carry, pitchMinSpeech }) => {
      const samples = joinAudio(carry.pending, audio);
      return { samples, pitchMinSpeech: pitchMinSpeech ?? 0, offset: -carry.pending.length, steps: Math.floor(samples.length / chunk), state: carry.vadState, context: carry.context, frames: [] as VoiceFrame[] };
    });
    const steps = Math.max(...streams.map((s) => s.steps));
    for (let step = 0; step < steps; step++) {
      const active = streams.filter((s) => step < s.steps);
      const n = active.length;
      const input = new Float32Array(n * width);
      // Silero's state is [layers, batch, units]: stream k's slice of layer l sits at (l * n + k) * units.
      const state = new Float32Array(layers * n * units);
      active.forEach((s, k) => {
        const at = step * chunk;
        input.set(s.context, k * width);
        input.set(s.samples.subarray(at, at + chunk), k * width + spec.contextSamples);
        for (let l = 0; l < layers; l++) state.set(s.state.subarray(l * units, (l + 1) * units), (l * n + k) * units);
      });
      const outputs = await runSession(this.#vad, spec.file, {
        [spec.input]: new ort.Tensor('float32', input, [n, width]),
        [spec.state]: new ort.Tensor('float32', state, [layers, n, units]),
        [spec.sampleRateInput]: this.#sampleRateTensor,
      });
      const speech = floatOutput(outputs, spec.output);
      const nextState = floatOutput(outputs, spec.stateOutput);
      active.forEach((s, k) => {
        const at = step * chunk;
        const own = new Float32Array(stateSize);
        for (let l = 0; l < layers; l++) own.set(nextState.subarray((l * n + k) * units, (l * n + k + 1) * units), l * units);
        s.state = own;
        s.context = s.samples.slice(at + chunk - spec.contextSamples, at + chunk);
        const p = speech[k] ?? 0;
        s.frames.push({
          t: (s.offset + at) / this.sampleRate,
          speech: p,
          energyDb: rmsDb(s.samples, at, chunk),
          pitchHz: p >= s.pitchMinSpeech ? yinPitch(s.samples, at, chunk) : null,
        });
      });
    }
    return streams.map((s) => ({ frames: s.frames, state: s.state, context: s.context, pending: s.samples.slice(s.steps * chunk) }));
  }

  async #embeddings(items: ReadonlyArray<VoiceRequest>) {
    const mel = this.#melSpec;
    const emb = this.#embeddingSpec;
    const patchSize = emb.frames * mel.bins;
    const perStream: Array<{ patches: Float32Array[]; melTail: Float32Array }> = [];
    for (const { audio, carry, embeddings } of items) {
      if (embeddings === false) {
        perStream.push({ patches: [], melTail: carry.melTail });
        continue;
      }
      const samples = joinAudio(carry.melTail, audio);
      const scaled = new Float32Array(samples.length);
      for (let i = 0; i < samples.length; i++) scaled[i] = samples[i]! * mel.inputScale;
      // Streams' windows differ in length, so the front end runs per stream; it is the cheap part.
      const melOut = await runSession(this.#mel, mel.file, { [mel.input]: new ort.Tensor('float32', scaled, [1, scaled.length]) });
      const spectrogram = floatOutput(melOut, mel.output);
      const frameCount = Math.floor(spectrogram.length / mel.bins);
      const tailFrames = Math.floor(carry.melTail.length / mel.hopSamples);
      // Patches end at the newest frame and step back by the hop, keeping those that end in this window.
      const starts: number[] = [];
      for (let s = frameCount - emb.frames; s >= 0 && s + emb.frames > tailFrames; s -= emb.hopFrames) starts.unshift(s);
      const keep = Math.round(emb.frames * mel.hopSamples + mel.hopSamples * 3);
      const patches = starts.map((s) => {
        const patch = new Float32Array(patchSize);
        for (let j = 0; j < patchSize; j++) patch[j] = spectrogram[s * mel.bins + j]! * mel.embeddingInputScale + mel.embeddingInputOffset;
        return patch;
      });
      perStream.push({ patches, melTail: samples.slice(Math.max(0, samples.length - keep)) });
    }
    const total = perStream.reduce((n, s) => n + s.patches.length, 0);
    let all: Float32Array = new Float32Array(0);
    if (total > 0) {
      const batch = new Float32Array(total * patchSize);
      let k = 0;
      for (const s of perStream) for (const patch of s.patches) batch.set(patch, k++ * patchSize);
      const out = await runSession(this.#embedding, emb.file, { [emb.input]: new ort.Tensor('float32', batch, [total, emb.frames, mel.bins, 1]) });
      all = floatOutput(out, emb.output);
    }
    let at = 0;
    return perStream.map((s) => {
      const count = s.patches.length;
      const embeddings = all.slice(at * emb.dimensions, (at + count) * emb.dimensions);
      at += count;
      return { embeddings, count, melTail: s.melTail };
    });
  }
}

function joinAudio(head: Float32Array, tail: Float32Array): Float32Array {
  if (head.length === 0) return tail;
  const joined = new Float32Array(head.length + tail.length);
  joined.set(head, 0);
  joined.set(tail, head.length);
  return joined;
}
