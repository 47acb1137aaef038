/**
 * The pack's speech expression model, run inside an inference worker: a stream's recent log-mel
 * frames (and the speech embeddings inside them) → a distribution over the model's labels and over
 * the 8 ABAW classes. Streams whose contexts have the same length go in one run; the others run in
 * their own group, so no padding reaches the model (a stream's first seconds have less context).
 */
import { ABAW_CLASSES } from '../core/abaw.js';
import { softmax } from '../core/softmax.js';
import type { LoadedManifest, SpeechExpressionSpec } from './manifest.js';
import { readVerifiedModel } from './manifest.js';
import { createSession, floatOutput, ort, runSession, type SessionSettings } from './ort-session.js';
import type { SpeechContext } from './speech-context.js';

export interface SpeechExpression {
  /** Probabilities in the model's own label order. */
  readonly labels: Float32Array;
  /** Probabilities of the 8 ABAW classes (ABAW order): labels mapped to the same class add up. */
  readonly abaw: Float32Array;
}

export class SpeechExpressionModel {
  readonly spec: SpeechExpressionSpec;
  readonly #session: ort.InferenceSession;
  readonly #bins: number;
  readonly #dimensions: number;
  /** ABAW index of each model label. */
  readonly #abawIndex: number[];

  private constructor(spec: SpeechExpressionSpec, session: ort.InferenceSession, bins: number, dimensions: number) {
    this.spec = spec;
    this.#session = session;
    this.#bins = bins;
    this.#dimensions = dimensions;
    this.#abawIndex = spec.labels.map((label) => ABAW_CLASSES.indexOf(spec.labelMap[label]!));
  }

  /** Undefined when the pack has no speech expression model. */
  static async create(pack: LoadedManifest, settings: SessionSettings): Promise<SpeechExpressionModel | undefined> {
    const { speechExpression: spec, mel, speechEmbedding } = pack.manifest.models;
    if (!spec) return undefined;
    const session = await createSession(readVerifiedModel(pack.pathOf(spec), spec.sha256), spec.file, settings);
    return new SpeechExpressionModel(spec, session, mel.bins, speechEmbedding.dimensions);
  }

  get usesEmbeddings(): boolean {
    return this.spec.inputs.embeddings !== undefined;
  }

  /** Mel frames one run sees, at the mel front end's hop. */
  contextFrames(hopSamples: number, sampleRate: number): number {
    return Math.round((this.spec.contextSeconds * sampleRate) / hopSamples);
  }

  /** One distribution per context; a context without a mel frame (or without an embedding the model needs) gets null. */
  async run(contexts: readonly SpeechContext[]): Promise<Array<SpeechExpression | null>> {
    const results = new Array<SpeechExpression | null>(contexts.length).fill(null);
    const groups = new Map<string, number[]>();
    contexts.forEach((c, i) => {
      const frames = c.mel.length / this.#bins;
      const count = c.embeddingEnds.length;
      if (frames === 0 || (this.usesEmbeddings && count === 0)) return;
      const key = `${frames}/${this.usesEmbeddings ? count : 0}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    for (const members of groups.values()) {
      const first = contexts[members[0]!]!;
      const frames = first.mel.length / this.#bins;
      const count = first.embeddingEnds.length;
      const mel = new Float32Array(members.length * first.mel.length);
      members.forEach((i, k) => mel.set(contexts[i]!.mel, k * first.mel.length));
      const feeds: Record<string, ort.Tensor> = { [this.spec.inputs.mel]: new ort.Tensor('float32', mel, [members.length, frames, this.#bins]) };
      if (this.spec.inputs.embeddings !== undefined) {
        const embeddings = new Float32Array(members.length * first.embeddings.length);
        members.forEach((i, k) => embeddings.set(contexts[i]!.embeddings, k * first.embeddings.length));
        feeds[this.spec.inputs.embeddings] = new ort.Tensor('float32', embeddings, [members.length, count, this.#dimensions]);
      }
      const output = floatOutput(await runSession(this.#session, this.spec.file, feeds), this.spec.output);
      const classes = this.spec.labels.length;
      members.forEach((i, k) => {
        const raw = output.subarray(k * classes, (k + 1) * classes);
        const labels = Float32Array.from(this.spec.outputIsProbability ? raw : softmax(raw));
        const abaw = new Float32Array(ABAW_CLASSES.length);
        labels.forEach((p, j) => (abaw[this.#abawIndex[j]!]! += p));
        results[i] = { labels, abaw };
      });
    }
    return results;
  }
}
