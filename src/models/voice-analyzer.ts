/**
 * The voice branch, run inside an inference worker. Silero VAD gives speech probability per 32 ms
 * frame; the same frames give level and pitch; the log-mel front end and the speech-embedding model
 * give 96-d speech features every 80 ms; a pack's speech expression model reads the last seconds of
 * both. The worker keeps no per-stream state: the caller passes the VAD's recurrent state, the audio
 * and speech context carried over from the previous window, and gets them back.
 */
import type { LoadedManifest, MelSpec, SpeechEmbeddingSpec, VadSpec } from './manifest.js';
import { readVerifiedModel } from './manifest.js';
import { createSession, floatOutput, ort, runSession, type SessionSettings } from './ort-session.js';
import { rmsDb, yinPitch } from './prosody.js';
import { emptySpeechContext, extendSpeechContext, type SpeechContext } from './speech-context.js';
import { SpeechExpressionModel, type SpeechExpression } from './speech-expression.js';

export interface VoiceCarry {
  /** Silero's recurrent state, flattened [2,1,128]. */
  readonly vadState: Float32Array;
  /** Samples not yet analysed because they did not fill a VAD frame. */
  readonly pending: Float32Array;
  /** The last samples the VAD saw, its left context for the next frame. */
  readonly context: Float32Array;
  /** Recent audio kept so speech embeddings can span window boundaries. */
  readonly melTail: Float32Array;
  /** Recent mel frames and embeddings for the speech expression model (frame count only without one). */
  readonly speech?: SpeechContext;
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
  /** The speech expression model's output for the context ending at this window; absent without the model or without speech in the window. */
  readonly expression?: SpeechExpression;
  /** With `features`: the window's new log-mel frames (bins values each) and each embedding's stream frame index where its patch ends. */
  readonly mel?: Float32Array;
  readonly embeddingEnds?: number[];
}

/** One stream's next window of audio, with the state its previous window left. */
export interface VoiceRequest {
  readonly audio: Float32Array;
  readonly carry: VoiceCarry;
  /** Compute speech embeddings (the costliest part); off when nothing downstream reads them. */
  readonly embeddings?: boolean;
  /**
   * Frames at least this likely to be speech count as speech: pitch is tracked only on them (pitch of
   * silence means nothing), and the speech expression model runs only on windows that have one.
   * Absent: pitch on every frame, and the model at the VAD's own threshold.
   */
  readonly speechThreshold?: number;
  /** Return the window's new mel frames and embedding positions (what the speech expression model is trained on). */
  readonly features?: boolean;
}

export function initialVoiceCarry(spec: VadSpec): VoiceCarry {
  const [a, b, c] = spec.stateShape;
  return {
    vadState: new Float32Array(a * b * c),
    pending: new Float32Array(0),
    context: new Float32Array(spec.contextSamples),
    melTail: new Float32Array(0),
    speech: emptySpeechContext(),
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
  readonly #speechModel: SpeechExpressionModel | undefined;

  private constructor(specs: [VadSpec, MelSpec, SpeechEmbeddingSpec], sessions: [ort.InferenceSession, ort.InferenceSession, ort.InferenceSession], speechModel: SpeechExpressionModel | undefined) {
    [this.#vadSpec, this.#melSpec, this.#embeddingSpec] = specs;
    [this.#vad, this.#mel, this.#embedding] = sessions;
    this.#speechModel = speechModel;
    this.#sampleRateTensor = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
  }

  static async create(pack: LoadedManifest, settings: SessionSettings): Promise<VoiceAnalyzer> {
    const { vad, mel, speechEmbedding } = pack.manifest.models;
    const load = (spec: { file: string; sha256: string }) => createSession(readVerifiedModel(pack.pathOf(spec), spec.sha256), spec.file, settings);
    const sessions: [ort.InferenceSession, ort.InferenceSession, ort.InferenceSession] = [await load(vad), await load(mel), await load(speechEmbedding)];
    return new VoiceAnalyzer([vad, mel, speechEmbedding], sessions, await SpeechExpressionModel.create(pack, settings));
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
    const expressions = await this.#expressions(items, vad, embeddings);
    return items.map((item, i) => {
      const e = embeddings[i]!;
      const expression = expressions[i];
      return {
        frames: vad[i]!.frames,
        embeddings: e.embeddings,
        embeddingCount: e.count,
        carry: { vadState: vad[i]!.state, pending: vad[i]!.pending, context: vad[i]!.context, melTail: e.melTail, speech: e.speech },
        ...(expression ? { expression } : {}),
        ...(item.features ? { mel: e.mel, embeddingEnds: e.ends } : {}),
      };
    });
  }

  /** The speech expression model on the contexts of the windows that have speech, in one batch. */
  async #expressions(items: ReadonlyArray<VoiceRequest>, vad: ReadonlyArray<{ frames: VoiceFrame[] }>, features: ReadonlyArray<{ speech: SpeechContext }>): Promise<Array<SpeechExpression | null>> {
    const model = this.#speechModel;
    if (!model) return items.map(() => null);
    const spoken = items.flatMap((item, i) => {
      const threshold = item.speechThreshold ?? this.#vadSpec.speechThreshold;
      return vad[i]!.frames.some((f) => f.speech >= threshold) ? [i] : [];
    });
    const outputs = await model.run(spoken.map((i) => features[i]!.speech));
    const results = items.map((): SpeechExpression | null => null);
    spoken.forEach((i, k) => (results[i] = outputs[k]!));
    return results;
  }

  async #voiceFrames(items: ReadonlyArray<VoiceRequest>) {
    const spec = this.#vadSpec;
    const chunk = spec.chunkSamples;
    const width = spec.contextSamples + chunk;
    const [layers, , units] = spec.stateShape;
    const stateSize = layers * units;
    const streams = items.map(({ audio, carry, speechThreshold }) => {
      const samples = joinAudio(carry.pending, audio);
      return { samples, pitchMinSpeech: speechThreshold ?? 0, offset: -carry.pending.length, steps: Math.floor(samples.length / chunk), state: carry.vadState, context: carry.context, frames: [] as VoiceFrame[] };
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
    const model = this.#speechModel;
    const patchSize = emb.frames * mel.bins;
    const shape = { bins: mel.bins, dimensions: emb.dimensions, patchFrames: emb.frames, frames: model ? model.contextFrames(mel.hopSamples, this.sampleRate) : 0 };
    const perStream: Array<{ patches: Float32Array[]; ends: number[]; melTail: Float32Array; mel: Float32Array; speech: SpeechContext }> = [];
    for (const { audio, carry, embeddings, features } of items) {
      const context = carry.speech ?? emptySpeechContext();
      const wantEmbeddings = embeddings !== false || features === true || (model?.usesEmbeddings ?? false);
      if (!wantEmbeddings && !model) {
        perStream.push({ patches: [], ends: [], melTail: carry.melTail, mel: new Float32Array(0), speech: context });
        continue;
      }
      const samples = joinAudio(carry.melTail, audio);
      const scaled = new Float32Array(samples.length);
      for (let i = 0; i < samples.length; i++) scaled[i] = samples[i]! * mel.inputScale;
      const keep = Math.round(emb.frames * mel.hopSamples + mel.hopSamples * 3);
      const melTail = samples.slice(Math.max(0, samples.length - keep));
      // The front end needs at least one frame of samples; a shorter window waits in the tail.
      if (samples.length < mel.frameSamples) {
        perStream.push({ patches: [], ends: [], melTail, mel: new Float32Array(0), speech: context });
        continue;
      }
      // Streams' windows differ in length, so the front end runs per stream; it is the cheap part.
      const melOut = await runSession(this.#mel, mel.file, { [mel.input]: new ort.Tensor('float32', scaled, [1, scaled.length]) });
      const spectrogram = floatOutput(melOut, mel.output);
      const frameCount = Math.floor(spectrogram.length / mel.bins);
      const tailFrames = Math.floor(carry.melTail.length / mel.hopSamples);
      // Frames lying wholly inside the carried tail were new in the previous window; the rest are new now.
      const firstNew = newFrameIndex(carry.melTail.length, mel.hopSamples, mel.frameSamples);
      const newMel = spectrogram.slice(firstNew * mel.bins, frameCount * mel.bins);
      // Patches end at the newest frame and step back by the hop, keeping those that end in this window.
      const starts: number[] = [];
      if (wantEmbeddings) for (let s = frameCount - emb.frames; s >= 0 && s + emb.frames > tailFrames; s -= emb.hopFrames) starts.unshift(s);
      const patches = starts.map((s) => {
        const patch = new Float32Array(patchSize);
        for (let j = 0; j < patchSize; j++) patch[j] = spectrogram[s * mel.bins + j]! * mel.embeddingInputScale + mel.embeddingInputOffset;
        return patch;
      });
      const ends = starts.map((s) => context.frames + s + emb.frames - 1 - firstNew);
      perStream.push({ patches, ends, melTail, mel: newMel, speech: context });
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
      const speech = s.mel.length > 0 ? extendSpeechContext(s.speech, s.mel, embeddings, s.ends, shape) : s.speech;
      return { embeddings, count, ends: s.ends, melTail: s.melTail, mel: s.mel, speech };
    });
  }
}

/**
 * Index of the first frame computed from `tailSamples` of carried audio plus new audio that was not
 * already computed from the previous window: frames that fit wholly in the tail were.
 */
export function newFrameIndex(tailSamples: number, hopSamples: number, frameSamples: number): number {
  return tailSamples < frameSamples ? 0 : Math.floor((tailSamples - frameSamples) / hopSamples) + 1;
}

function joinAudio(head: Float32Array, tail: Float32Array): Float32Array {
  if (head.length === 0) return tail;
  const joined = new Float32Array(head.length + tail.length);
  joined.set(head, 0);
  joined.set(tail, head.length);
  return joined;
}
