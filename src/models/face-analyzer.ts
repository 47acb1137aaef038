/**
 * The face branch, run inside an inference worker, in two batched steps that the scheduler feeds
 * separately: BlazeFace over a batch of frames, then the expression models over a batch of faces.
 */
import { buildAnchors, decodeDetections, weightedNms, type Anchor } from './blazeface.js';
import { faceSharpness } from './face-quality.js';
import { letterboxRegion, sampleSquare, type RgbImage } from './image-ops.js';
import type { ExpressionModelSpec, FaceDetectorSpec, LoadedManifest } from './manifest.js';
import { readVerifiedModel } from './manifest.js';
import { batchLimitOf, createSession, floatOutput, ort, runSession, type SessionSettings } from './ort-session.js';
import { ABAW_CLASSES, zeroProbs, type ExpressionProbs } from '../core/abaw.js';
import { AffectStreamError } from '../core/errors.js';
import { softmax } from '../core/softmax.js';

export interface FaceResult {
  /** [x, y, w, h], each 0..1 of the frame. */
  readonly box: [number, number, number, number];
  readonly score: number;
  /** Ensemble distribution over the seven classes the models know (Other = 0 here). */
  readonly probs: ExpressionProbs;
  /** Contrast-normalised Laplacian spread of the face crop (face-quality.ts); low when blurred. */
  readonly sharpness?: number;
}

export interface FrameFaces {
  readonly pts: number;
  readonly faces: FaceResult[];
}

export interface FrameInput extends RgbImage {
  readonly pts: number;
}

export interface DetectedFace {
  readonly box: [number, number, number, number];
  readonly score: number;
  readonly sharpness?: number;
}

export interface DetectedFrame {
  readonly pts: number;
  /** Each face with its input for every expression model of the pack, in manifest order. */
  readonly faces: Array<DetectedFace & { readonly inputs: Float32Array[] }>;
}

interface ExpressionRunner {
  readonly spec: ExpressionModelSpec;
  readonly session: ort.InferenceSession;
  /** Output index → ABAW class index. */
  readonly classIndex: number[];
  /** Most faces per run (1 for a model exported with a fixed batch). */
  readonly batchLimit: number;
}

export class FaceAnalyzer {
  readonly #detectorSpec: FaceDetectorSpec;
  readonly #detector: ort.InferenceSession;
  readonly #anchors: Anchor[];
  readonly #expression: ExpressionRunner[];
  readonly #detectorBatchLimit: number;

  private constructor(detectorSpec: FaceDetectorSpec, detector: ort.InferenceSession, expression: ExpressionRunner[]) {
    this.#detectorSpec = detectorSpec;
    this.#detector = detector;
    this.#detectorBatchLimit = batchLimitOf(detector, detectorSpec.input);
    this.#anchors = buildAnchors(detectorSpec.inputSize, detectorSpec.anchors);
    this.#expression = expression;
  }

  static async create(pack: LoadedManifest, settings: SessionSettings): Promise<FaceAnalyzer> {
    const { faceDetector, expression } = pack.manifest.models;
    const detector = await createSession(readVerifiedModel(pack.pathOf(faceDetector), faceDetector.sha256), faceDetector.file, settings);
    const runners: ExpressionRunner[] = [];
    for (const spec of expression) {
      const session = await createSession(readVerifiedModel(pack.pathOf(spec), spec.sha256), spec.file, settings);
      const classIndex = spec.labels.map((label) => ABAW_CLASSES.indexOf(spec.labelMap[label]!));
      runners.push({ spec, session, classIndex, batchLimit: batchLimitOf(session, spec.input) });
    }
    return new FaceAnalyzer(faceDetector, detector, runners);
  }

  /**
   * Runs the detector once over all `frames` (one batch), and cuts each face's input for every
   * expression model while the pixels are at hand, so the crops can be batched across streams next.
   */
  async detect(frames: readonly FrameInput[]): Promise<DetectedFrame[]> {
    if (frames.length === 0) return [];
    if (frames.length > this.#detectorBatchLimit) {
      const out: DetectedFrame[] = [];
      for (let i = 0; i < frames.length; i += this.#detectorBatchLimit) out.push(...(await this.detect(frames.slice(i, i + this.#detectorBatchLimit))));
      return out;
    }
    const spec = this.#detectorSpec;
    const size = spec.inputSize;
    const itemSize = size * size * 3;
    const input = new Float32Array(itemSize * frames.length);
    const [lo, hi] = spec.range;
    // Pixels 0..255 map linearly onto the model's range [lo, hi].
    const std = 255 / (hi - lo);
    const regions = frames.map((frame, i) => {
      const region = letterboxRegion(frame.width, frame.height);
      sampleSquare(frame, region, size, { color: 'rgb', mean: [-lo * std], std: [std], layout: 'NHWC' }, input, i * itemSize);
      return region;
    });
    const outputs = await runSession(this.#detector, spec.file, { [spec.input]: new ort.Tensor('float32', input, [frames.length, size, size, 3]) });
    const scoreParts = spec.outputs.scores.map((name) => floatOutput(outputs, name));
    const boxParts = spec.outputs.boxes.map((name) => floatOutput(outputs, name));
    return frames.map((frame, i) => {
      const scores = concat(scoreParts.map((p) => itemOf(p, i, frames.length)));
      const boxes = concat(boxParts.map((p) => itemOf(p, i, frames.length)));
      const faces = this.#faces(frame, regions[i]!, scores, boxes);
      return {
        pts: frame.pts,
        faces: faces.map((face) => ({ ...face, sharpness: faceSharpness(frame, face.box), inputs: this.#expression.map((runner) => expressionInput(runner.spec, frame, face.box)) })),
      };
    });
  }

  #faces(frame: FrameInput, region: { x: number; y: number; side: number }, scores: Float32Array, boxes: Float32Array): DetectedFace[] {
    const spec = this.#detectorSpec;
    const boxStride = boxes.length / scores.length;
    const found = weightedNms(decodeDetections(scores, boxes, boxStride, this.#anchors, spec.inputSize, spec.scoreThreshold), spec.iouThreshold);
    const minSide = spec.minFaceFraction * region.side;
    return found
      .map((d) => {
        // From the letterboxed square back to frame pixels, clipped to the frame.
        const x0 = Math.max(0, region.x + d.x * region.side);
        const y0 = Math.max(0, region.y + d.y * region.side);
        const x1 = Math.min(frame.width, region.x + (d.x + d.w) * region.side);
        const y1 = Math.min(frame.height, region.y + (d.y + d.h) * region.side);
        return { x0, y0, x1, y1, score: d.score };
      })
      .filter((b) => b.x1 - b.x0 >= minSide && b.y1 - b.y0 >= minSide)
      .map((b) => ({
        box: [b.x0 / frame.width, b.y0 / frame.height, (b.x1 - b.x0) / frame.width, (b.y1 - b.y0) / frame.height] as [number, number, number, number],
        score: b.score,
      }));
  }

  /** Classifies a batch of faces (from any frames of any streams): every expression model runs once, ensembled in ABAW class space. */
  async classify(faces: ReadonlyArray<{ readonly inputs: readonly Float32Array[] }>): Promise<ExpressionProbs[]> {
    if (faces.length === 0) return [];
    const sums = faces.map(() => new Float64Array(ABAW_CLASSES.length));
    for (const [m, runner] of this.#expression.entries()) {
      const { spec } = runner;
      const channels = spec.color === 'gray' ? 1 : 3;
      const itemSize = spec.inputSize * spec.inputSize * channels;
      const input = new Float32Array(itemSize * faces.length);
      faces.forEach((face, i) => {
        const crop = face.inputs[m];
        if (!crop || crop.length !== itemSize) throw new AffectStreamError('model_failed', `expression model ${spec.name}: face input has ${crop?.length ?? 0} values, expected ${itemSize}`);
        input.set(crop, i * itemSize);
      });
      const out = await this.#runExpression(runner, input, faces.length);
      const classes = spec.labels.length;
      for (let i = 0; i < faces.length; i++) {
        const row = out.subarray(i * classes, (i + 1) * classes);
        const p = spec.outputIsProbability ? row : softmax(row);
        for (let c = 0; c < classes; c++) sums[i]![runner.classIndex[c]!]! += p[c]!;
      }
    }
    const models = this.#expression.length;
    return sums.map((sum) => {
      const probs = zeroProbs();
      ABAW_CLASSES.forEach((name, c) => (probs[name] = sum[c]! / models));
      return probs;
    });
  }

  /** One expression model over `count` faces, in slices when the model takes a fixed batch. */
  async #runExpression(runner: ExpressionRunner, input: Float32Array, count: number): Promise<Float32Array> {
    const { spec } = runner;
    const channels = spec.color === 'gray' ? 1 : 3;
    const itemSize = spec.inputSize * spec.inputSize * channels;
    const outputs: Float32Array[] = [];
    for (let start = 0; start < count; start += runner.batchLimit) {
      const n = Math.min(runner.batchLimit, count - start);
      const shape = spec.layout === 'NHWC' ? [n, spec.inputSize, spec.inputSize, channels] : [n, channels, spec.inputSize, spec.inputSize];
      const result = await runSession(runner.session, spec.file, { [spec.input]: new ort.Tensor('float32', input.subarray(start * itemSize, (start + n) * itemSize), shape) });
      outputs.push(floatOutput(result, spec.output));
    }
    return concat(outputs);
  }
}

/** The expression model's input for one face: a square crop around the box, resampled and normalised. */
export function expressionInput(spec: ExpressionModelSpec, frame: RgbImage, box: readonly [number, number, number, number]): Float32Array {
  const channels = spec.color === 'gray' ? 1 : 3;
  const input = new Float32Array(spec.inputSize * spec.inputSize * channels);
  const [x, y, w, h] = box;
  const side = Math.max(w * frame.width, h * frame.height) * spec.cropScale;
  const cx = (x + w / 2) * frame.width;
  const cy = (y + h / 2) * frame.height;
  sampleSquare(frame, { x: cx - side / 2, y: cy - side / 2, side }, spec.inputSize, spec, input, 0);
  return input;
}

/** Item `i` of a batched output whose first axis is the batch. */
function itemOf(output: Float32Array, i: number, batch: number): Float32Array {
  const per = output.length / batch;
  return output.subarray(i * per, (i + 1) * per);
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
