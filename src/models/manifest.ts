/**
 * The model pack manifest: which ONNX file plays which role, its checksum, tensor names, preprocessing
 * and labels. Everything a role needs to run a model is here, so a user can swap in an ONNX model of
 * their own by editing JSON, with no code change.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { AffectStreamError } from '../core/errors.js';
import { ABAW_CLASSES } from '../core/abaw.js';
import { FACE_FEATURES, VOICE_FEATURES } from '../core/fusion-layout.js';

const modelFile = z.object({
  /** Path relative to the manifest. */
  file: z.string().min(1),
  /** Hex sha256 of the file; checked before the model is loaded. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  license: z.string().optional(),
  source: z.string().optional(),
});

const abawClass = z.enum(ABAW_CLASSES);

const faceDetector = modelFile.extend({
  kind: z.literal('blazeface'),
  input: z.string(),
  /** Score logits and box regressors, one pair per anchor grid, coarse grids after fine ones. */
  outputs: z.object({ scores: z.array(z.string()).min(1), boxes: z.array(z.string()).min(1) }),
  inputSize: z.number().int().positive(),
  /** Grid strides in input pixels and anchors per grid cell, in the order of the outputs. */
  anchors: z.array(z.object({ stride: z.number().int().positive(), perCell: z.number().int().positive() })).min(1),
  /** Input value range after scaling 0..255 pixels. */
  range: z.tuple([z.number(), z.number()]),
  scoreThreshold: z.number().min(0).max(1),
  iouThreshold: z.number().min(0).max(1),
  /** Smallest face kept, as a fraction of the frame's longer side. */
  minFaceFraction: z.number().min(0).max(1).default(0.02),
});

const expressionModel = modelFile.extend({
  name: z.string(),
  input: z.string(),
  output: z.string(),
  layout: z.enum(['NHWC', 'NCHW']),
  inputSize: z.number().int().positive(),
  color: z.enum(['rgb', 'bgr', 'gray']),
  /** Per-channel mean and std applied to 0..255 pixels: x = (p − mean) / std. Gray uses one value. */
  mean: z.array(z.number()).min(1).max(3),
  std: z.array(z.number()).min(1).max(3),
  /** Weights for RGB → gray when color is gray. */
  grayWeights: z.tuple([z.number(), z.number(), z.number()]).optional(),
  /** Whether the output is already a probability distribution (else softmax is applied). */
  outputIsProbability: z.boolean(),
  /** The model's own class names in output order, and the ABAW class each maps to. */
  labels: z.array(z.string()).min(2),
  labelMap: z.record(z.string(), abawClass),
  /** Square crop side as a multiple of the detected face box's longer side. */
  cropScale: z.number().positive().default(1),
});

const vadModel = modelFile.extend({
  kind: z.literal('silero-v5'),
  input: z.string(),
  state: z.string(),
  sampleRateInput: z.string(),
  output: z.string(),
  stateOutput: z.string(),
  chunkSamples: z.number().int().positive(),
  contextSamples: z.number().int().nonnegative(),
  stateShape: z.tuple([z.number(), z.number(), z.number()]),
  speechThreshold: z.number().min(0).max(1),
});

const melModel = modelFile.extend({
  input: z.string(),
  output: z.string(),
  /** The model takes audio at int16 amplitude. */
  inputScale: z.number(),
  hopSamples: z.number().int().positive(),
  /** Samples per frame (the analysis window): frame k covers samples [k·hop, k·hop + frameSamples). */
  frameSamples: z.number().int().positive().default(512),
  bins: z.number().int().positive(),
  /** Transform applied to the mel output before the embedding: y = x·scale + offset. */
  embeddingInputScale: z.number(),
  embeddingInputOffset: z.number(),
});

const speechEmbedding = modelFile.extend({
  input: z.string(),
  output: z.string(),
  frames: z.number().int().positive(),
  hopFrames: z.number().int().positive(),
  dimensions: z.number().int().positive(),
});

/**
 * The voice branch's own expression classifier (docs/fusion.md, "Speech expression model"): the raw
 * log-mel frames of the last `contextSeconds` of a stream, [B, T, bins], and, when `inputs.embeddings`
 * is named, the speech embeddings whose patches lie inside those frames, [B, E, dimensions] → logits
 * (or probabilities) over `labels`, each mapped to an ABAW class. Runs on windows that have speech.
 */
const speechExpressionModel = modelFile.extend({
  inputs: z.object({ mel: z.string(), embeddings: z.string().optional() }),
  output: z.string(),
  outputIsProbability: z.boolean().default(false),
  labels: z.array(z.string()).min(2),
  labelMap: z.record(z.string(), abawClass),
  /** Seconds of audio, ending at the window's end, that one run sees. */
  contextSeconds: z.number().min(1).max(30),
});

/**
 * A learned fusion model (docs/fusion.md): takes the per-step feature sequences and weights of
 * `history` steps before the window and the window's own steps, and gives the window's outputs.
 * Inputs: face [B,T,faceFeatures], voice [B,T,voiceFeatures], weights [B,T,2], current [B,T]
 * (1 on the window's steps). Outputs: logits [B,8] (ABAW order), valence [B,1], arousal [B,1].
 * It must be causal (no step may depend on later steps).
 */
const fusionModel = modelFile.extend({
  inputs: z.object({ face: z.string(), voice: z.string(), weights: z.string(), current: z.string() }),
  outputs: z.object({ logits: z.string().optional(), valence: z.string(), arousal: z.string() }),
  faceFeatures: z.number().int().positive(),
  voiceFeatures: z.number().int().positive(),
  /** Append the 96-d speech embedding to each voice row (the worker then computes embeddings). */
  speechEmbedding: z.boolean().default(false),
  /** Steps before the window that the model reaches back to. */
  history: z.number().int().min(0).max(1024),
});

export const manifestSchema = z.object({
  name: z.string(),
  version: z.string(),
  description: z.string().optional(),
  license: z.string(),
  models: z.object({
    faceDetector,
    expression: z.array(expressionModel).min(1),
    vad: vadModel,
    mel: melModel,
    speechEmbedding,
    /** Optional speech expression model; without it the voice's distribution comes from its arousal. */
    speechExpression: speechExpressionModel.optional(),
    /** Optional learned fusion; without it the parameter-free fusion runs. */
    fusion: z
      .object({
        temporalFusion: fusionModel.extend({ outputs: fusionModel.shape.outputs.required({ logits: true }) }).optional(),
        crossModalAttention: fusionModel.optional(),
      })
      .optional(),
  }),
});

export type ModelManifest = z.infer<typeof manifestSchema>;
export type FaceDetectorSpec = z.infer<typeof faceDetector>;
export type ExpressionModelSpec = z.infer<typeof expressionModel>;
export type VadSpec = z.infer<typeof vadModel>;
export type MelSpec = z.infer<typeof melModel>;
export type SpeechEmbeddingSpec = z.infer<typeof speechEmbedding>;
export type FusionModelSpec = z.infer<typeof fusionModel>;
export type SpeechExpressionSpec = z.infer<typeof speechExpressionModel>;

/** What the main thread's fusion stage needs to know about the pack's fusion models. */
export interface FusionModelsInfo {
  readonly temporal: boolean;
  readonly crossModal: boolean;
  /** Longest history any of them needs, steps. */
  readonly history: number;
  /** Speech-embedding values appended to each voice row (0 for none). */
  readonly embeddingDims: number;
}

export function fusionModelsOf(manifest: ModelManifest): FusionModelsInfo | undefined {
  const { temporalFusion, crossModalAttention } = manifest.models.fusion ?? {};
  const specs = [temporalFusion, crossModalAttention].filter((s): s is FusionModelSpec => s !== undefined);
  if (specs.length === 0) return undefined;
  return {
    temporal: temporalFusion !== undefined,
    crossModal: crossModalAttention !== undefined,
    history: Math.max(...specs.map((s) => s.history)),
    embeddingDims: specs.some((s) => s.speechEmbedding) ? manifest.models.speechEmbedding.dimensions : 0,
  };
}

export interface LoadedManifest {
  readonly manifest: ModelManifest;
  readonly directory: string;
  /** Absolute path of a model file named in the manifest. */
  pathOf(spec: { file: string }): string;
}

export function loadManifest(manifestPath: string): LoadedManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    throw new AffectStreamError('model_missing', `cannot read model manifest ${manifestPath}: ${(err as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new AffectStreamError('invalid_argument', `invalid model manifest ${manifestPath}: ${issues}`);
  }
  for (const model of parsed.data.models.expression) {
    const unmapped = model.labels.filter((label) => !(label in model.labelMap));
    if (unmapped.length > 0) {
      throw new AffectStreamError('invalid_argument', `invalid model manifest ${manifestPath}: expression model ${model.name} has labels without an ABAW class: ${unmapped.join(', ')}`);
    }
  }
  const speech = parsed.data.models.speechExpression;
  const unmappedSpeech = speech ? speech.labels.filter((label) => !(label in speech.labelMap)) : [];
  if (unmappedSpeech.length > 0) {
    throw new AffectStreamError('invalid_argument', `invalid model manifest ${manifestPath}: models.speechExpression.labelMap has no ABAW class for labels: ${unmappedSpeech.join(', ')}`);
  }
  checkFusionModels(parsed.data, manifestPath);
  const directory = dirname(resolve(manifestPath));
  return { manifest: parsed.data, directory, pathOf: (spec) => resolve(directory, spec.file) };
}

/** The feature layout is the code's (branch-features.ts), so a model must declare exactly it. */
function checkFusionModels(manifest: ModelManifest, manifestPath: string): void {
  const fusion = manifest.models.fusion ?? {};
  const anyEmbedding = Object.values(fusion).some((s) => s?.speechEmbedding);
  for (const [role, spec] of Object.entries(fusion)) {
    if (!spec) continue;
    const voice = VOICE_FEATURES + (anyEmbedding ? manifest.models.speechEmbedding.dimensions : 0);
    const fail = (what: string) => {
      throw new AffectStreamError('invalid_argument', `invalid model manifest ${manifestPath}: models.fusion.${role}.${what} (see docs/fusion.md)`);
    };
    if (spec.faceFeatures !== FACE_FEATURES) fail(`faceFeatures is ${spec.faceFeatures}, the face rows have ${FACE_FEATURES} values`);
    if (spec.voiceFeatures !== voice) fail(`voiceFeatures is ${spec.voiceFeatures}, the voice rows have ${voice} values${anyEmbedding ? ' (with the speech embedding)' : ''}`);
  }
}

/** Reads a model file and checks its sha256; the bytes are returned so the file is read once. */
export function readVerifiedModel(path: string, expectedSha256: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new AffectStreamError('model_missing', `model file missing: ${path} (run the set-up: npm run models)`);
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expectedSha256) {
    throw new AffectStreamError('model_checksum_mismatch', `model file ${path} has sha256 ${actual}, the manifest expects ${expectedSha256}`);
  }
  return bytes;
}

export function allModelFiles(manifest: ModelManifest): Array<{ file: string; sha256: string }> {
  const m = manifest.models;
  const fusion = [m.fusion?.temporalFusion, m.fusion?.crossModalAttention].filter((s): s is FusionModelSpec => s !== undefined);
  return [m.faceDetector, ...m.expression, m.vad, m.mel, m.speechEmbedding, ...(m.speechExpression ? [m.speechExpression] : []), ...fusion];
}
