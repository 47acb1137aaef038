/**
 * The fusion stage of one stream (issue 6, after the seed papers): branch outputs on one timeline →
 * facial and speech key frames, aligned → per-step face/voice weights → multi-scale dilated temporal
 * fusion → the window's expression, valence and arousal. The stream's state (branch context, key
 * frames, the last steps the dilated layer reaches back to) lives in this object, one per stream;
 * nothing depends on a later window, so each window's event goes out as soon as its inference is done.
 *
 * `prepare()` does the per-step work and builds the tensors a fusion model takes (FusionInput);
 * `finish()` turns a model's output, or the parameter-free layer's, into the event's fields. With no
 * learned model, the parameter-free layer runs here on the main thread (well under a millisecond per
 * window); ONNX fusion models run in the inference workers.
 */
import type { FusionModelsInfo } from '../models/manifest.js';
import { ABAW_CLASSES, topClass, zeroProbs } from '../core/abaw.js';
import { BranchFeatures, type StepFeatures } from './branch-features.js';
import { outputOfPooled, parameterFreeFusion, pooledDilated, receptiveHistory, weightedRows } from './dilated-fusion.js';
import { softmax } from '../core/softmax.js';
import { windowTimeline } from './frame-timeline.js';
import { KeyframeDetector, type Keyframe } from './keyframes.js';
import { ModalityWeights } from './modality-weights.js';
import { round, roundProbs, summariseFaces, voiceBranch, type FusedWindow, type FusionOptions, type WindowAnalysis } from './window-fusion.js';
import type { KeyframeSummary } from '../core/events.js';
import { FACE_FEATURES, VOICE_FEATURES } from '../core/fusion-layout.js';
import type { FusionInput, FusionOutput } from '../core/fusion-layout.js';

/** Time between speech embeddings (8 mel frames of 10 ms), s. */
export const EMBEDDING_HOP_SECONDS = 0.08;

interface StepRow {
  readonly features: StepFeatures;
  readonly weights: readonly [number, number];
}

interface WindowSteps {
  readonly rows: StepRow[];
  readonly keyframes: Keyframe[];
  /** Key frames found so far in the stream, when the window's steps were done. */
  readonly keySeq: number;
}

export interface PreparedWindow {
  readonly analysis: WindowAnalysis;
  readonly input: FusionInput;
  readonly steps: WindowSteps;
}

export class StreamFusion {
  readonly #options: FusionOptions;
  readonly #branch: BranchFeatures;
  readonly #keys: KeyframeDetector;
  readonly #weights: ModalityWeights;
  readonly #faceDims = FACE_FEATURES;
  readonly #voiceDims: number;
  readonly #history: number;
  /** The last #history steps' face, voice and weight rows (zeros before the stream began). */
  #past: { face: Float32Array; voice: Float32Array; weights: Float32Array };

  constructor(options: FusionOptions, models?: FusionModelsInfo) {
    this.#options = options;
    const embeddingDims = models?.embeddingDims ?? 0;
    this.#voiceDims = VOICE_FEATURES + embeddingDims;
    this.#branch = new BranchFeatures({ ...options, embeddingDims });
    this.#keys = new KeyframeDetector({ tolerance: options.keyframeTolerance, speechThreshold: options.speechThreshold });
    this.#weights = new ModalityWeights(options.keyframeTolerance);
    this.#history = Math.max(receptiveHistory(options.dilations, options.taps), models?.history ?? 0);
    this.#past = { face: new Float32Array(this.#history * this.#faceDims), voice: new Float32Array(this.#history * this.#voiceDims), weights: new Float32Array(this.#history * 2) };
  }

  /** Steps of history each window's input carries before its own steps. */
  get history(): number {
    return this.#history;
  }

  /** The per-step stages over one window, in order; advances the stream's state. */
  steps(analysis: WindowAnalysis): WindowSteps {
    const keyframes: Keyframe[] = [];
    const rows: StepRow[] = [];
    for (const step of windowTimeline(analysis, this.#options.stepSeconds, EMBEDDING_HOP_SECONDS)) {
      const features = this.#branch.push(step);
      const found: Keyframe[] = [];
      if (step.face !== undefined) found.push(...present(this.#keys.face(step.t, features.face)));
      for (const frame of step.voice ?? []) found.push(...present(this.#keys.voice(frame)));
      keyframes.push(...found);
      this.#weights.add(found);
      rows.push({ features, weights: this.#weights.weigh(step.t, step.duration, features.faceReliability, features.voiceReliability) });
    }
    return { rows, keyframes, keySeq: this.#keys.count };
  }

  /** Per-step work for the window and the model input: history steps, then the window's. */
  prepare(analysis: WindowAnalysis): PreparedWindow {
    const steps = this.steps(analysis);
    const h = this.#history;
    const n = steps.rows.length;
    const input = emptyInput(h + n, this.#faceDims, this.#voiceDims);
    input.face.set(this.#past.face);
    input.voice.set(this.#past.voice);
    input.weights.set(this.#past.weights);
    writeRows(input, h, steps.rows);
    input.current.fill(1, h);
    const total = h + n;
    this.#past = {
      face: input.face.slice((total - h) * this.#faceDims),
      voice: input.voice.slice((total - h) * this.#voiceDims),
      weights: input.weights.slice((total - h) * 2),
    };
    return { analysis, input, steps };
  }

  /** The parameter-free temporal fusion of a prepared window. */
  parameterFree(prepared: PreparedWindow): FusionOutput {
    return parameterFreeFusion(prepared.input, this.#options.dilations, this.#options.taps);
  }

  /** The window's fused fields from a fusion output (the parameter-free layer's or a model's). */
  finish(prepared: PreparedWindow, output: FusionOutput): FusedWindow {
    return fusedWindow(prepared.analysis, prepared.steps, output, this.#options);
  }

  /** Whether the window has any face or speech for a model to fuse. */
  static hasEvidence(prepared: PreparedWindow): boolean {
    return prepared.steps.rows.some((r) => r.weights[0] + r.weights[1] > 0);
  }
}

/**
 * The same fusion over a whole recording at once: every step of every window in one sequence, the
 * dilated layer over that sequence, then pooled per window. Streaming must give the same events.
 */
export function fuseOffline(analyses: readonly WindowAnalysis[], options: FusionOptions): FusedWindow[] {
  const fusion = new StreamFusion(options);
  const windows = analyses.map((a) => fusion.steps(a));
  const total = windows.reduce((n, w) => n + w.rows.length, 0);
  const input = emptyInput(total, FACE_FEATURES, VOICE_FEATURES);
  const rows = weightedRows((() => {
    let at = 0;
    for (const w of windows) {
      writeRows(input, at, w.rows);
      at += w.rows.length;
    }
    return input;
  })());
  let at = 0;
  return windows.map((w, i) => {
    const mask = new Float32Array(total);
    mask.fill(1, at, at + w.rows.length);
    at += w.rows.length;
    return fusedWindow(analyses[i]!, w, outputOfPooled(pooledDilated(rows, total, mask, options.dilations, options.taps)), options);
  });
}

function present(key: Keyframe | null): Keyframe[] {
  return key ? [key] : [];
}

function emptyInput(steps: number, faceDims: number, voiceDims: number): FusionInput & { face: Float32Array; voice: Float32Array; weights: Float32Array; current: Float32Array } {
  return { steps, faceDims, voiceDims, face: new Float32Array(steps * faceDims), voice: new Float32Array(steps * voiceDims), weights: new Float32Array(steps * 2), current: new Float32Array(steps) };
}

function writeRows(input: FusionInput, at: number, rows: readonly StepRow[]): void {
  rows.forEach((row, i) => {
    const t = at + i;
    if (row.features.face) input.face.set(row.features.face, t * input.faceDims);
    if (row.features.voice) input.voice.set(row.features.voice, t * input.voiceDims);
    input.weights[2 * t] = row.weights[0];
    input.weights[2 * t + 1] = row.weights[1];
  });
}

function fusedWindow(analysis: WindowAnalysis, steps: WindowSteps, output: FusionOutput, options: FusionOptions): FusedWindow {
  let face = 0;
  let voice = 0;
  let evidenceSteps = 0;
  for (const { weights } of steps.rows) {
    if (weights[0] + weights[1] <= 0) continue;
    face += weights[0];
    voice += weights[1];
    evidenceSteps += 1;
  }
  const hasFace = face > 0;
  const hasEvidence = evidenceSteps > 0;
  const probs = zeroProbs();
  const p = softmax(output.logits);
  ABAW_CLASSES.forEach((c, i) => (probs[c] = p[i]!));
  return {
    start: round(analysis.start),
    end: round(analysis.end),
    expression: hasEvidence ? { label: topClass(probs), probs: roundProbs(probs) } : null,
    // The default pack's voice has no valence: without a face in the window there is none.
    valence: hasFace ? round(clamp(output.valence)) : null,
    arousal: hasEvidence ? round(clamp(output.arousal)) : null,
    weights: hasEvidence ? { face: round(face / evidenceSteps), voice: round(voice / evidenceSteps) } : { face: 0, voice: 0 },
    keyframes: steps.keyframes.map((k) => keyframeSummary(k, steps.keySeq)),
    faces: summariseFaces(analysis.faceFrames),
    voice: voiceBranch(analysis.voice, options).summary,
    frames: analysis.faceFrames.length,
  };
}

/** A key frame as the event reports it: its partner only if the pair was made by this window's end. */
function keyframeSummary(k: Keyframe, keySeq: number): KeyframeSummary {
  const paired = k.pairedT !== null && k.pairedBySeq !== null && k.pairedBySeq <= keySeq;
  return { t: round(k.t), modality: k.modality, strength: round(k.strength), paired_t: paired ? round(k.pairedT!) : null };
}

function clamp(x: number): number {
  return Math.max(-1, Math.min(1, x));
}
