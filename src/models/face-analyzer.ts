/**
 * The face branch, run inside an inference worker: BlazeFace on each frame, then every face crop of
 * the batch through each expression model in one run, ensembled in ABAW class space.
 */
import { buildAnchors, decodeDetections, weightedNms, type Anchor } from './blazeface.js';
import { letterboxRegion, sampleSquare, type RgbImage } from './image-ops.js';
import type { ExpressionModelSpec, FaceDetectorSpec, LoadedManifest } from './manifest.js';
import { readVerifiedModel } from './manifest.js';
import { createSession, floatOutput, ort, runSession, type SessionSettings } from './ort-session.js';
import { ABAW_CLASSES, zeroProbs, type ExpressionProbs } from '../fusion/abaw.js';

export interface FaceResult {
  /** [x, y, w, h], each 0..1 of the frame. */
  readonly box: [number, number, number, number];
  readonly score: number;
  /** Ensemble distribution over the seven classes the models know (Other = 0 here). */
  readonly probs: ExpressionProbs;
}

export interface FrameFaces {
  readonly pts: number;
  readonly faces: FaceResult[];
}

export interface FrameInput extends RgbImage {
  readonly pts: number;
}

const MAX_EXPRESSION_BATCH = 8;

interface ExpressionRunner {
  readonly spec: ExpressionModelSpec;
  readonly session: ort.InferenceSession;
  /** Output index → ABAW class index. */
  readonly classIndex: number[];
}

export class FaceAnalyzer {
  readonly #detectorSpec: FaceDetectorSpec;
  readonly #detector: ort.InferenceSession;
  readonly #anchors: Anchor[];
  readonly #expression: ExpressionRunner[];

  private constructor(detectorSpec: FaceDetectorSpec, detector: ort.InferenceSession, expression: ExpressionRunner[]) {
    this.#detectorSpec = detectorSpec;
    this.#detector = detector;
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
      runners.push({ spec, session, classIndex });
    }
    return new FaceAnalyzer(faceDetector, detector, runners);
  }

  async analyze(frames: readonly FrameInput[]): Promise<FrameFaces[]> {
    const detections: Array<Array<{ box: [number, number, number, number]; score: number; frame: number }>> = [];
    for (let i = 0; i < frames.length; i++) detections.push(await this.#detect(frames[i]!, i));
    const all = detections.flat();
    // CPU inference gains nothing from batches past a few items, and big batches hold big activations.
    const probs: ExpressionProbs[] = [];
    for (let i = 0; i < all.length; i += MAX_EXPRESSION_BATCH) probs.push(...(await this.#classify(frames, all.slice(i, i + MAX_EXPRESSION_BATCH))));
    let k = 0;
    return frames.map((frame, i) => ({
      pts: frame.pts,
      faces: detections[i]!.map((d) => ({ box: d.box, score: d.score, probs: probs[k++]! })),
    }));
  }

  async #detect(frame: FrameInput, frameIndex: number) {
    const spec = this.#detectorSpec;
    const size = spec.inputSize;
    const region = letterboxRegion(frame.width, frame.height);
    const [lo, hi] = spec.range;
    const input = new Float32Array(size * size * 3);
    // Pixels 0..255 map linearly onto the model's range [lo, hi].
    const std = 255 / (hi - lo);
    sampleSquare(frame, region, size, { color: 'rgb', mean: [-lo * std], std: [std], layout: 'NHWC' }, input, 0);
    const outputs = await runSession(this.#detector, spec.file, { [spec.input]: new ort.Tensor('float32', input, [1, size, size, 3]) });
    const scores = concat(spec.outputs.scores.map((name) => floatOutput(outputs, name)));
    const boxes = concat(spec.outputs.boxes.map((name) => floatOutput(outputs, name)));
    const boxStride = boxes.length / scores.length;
    const found = weightedNms(decodeDetections(scores, boxes, boxStride, this.#anchors, size, spec.scoreThreshold), spec.iouThreshold);
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
        frame: frameIndex,
      }));
  }

  async #classify(frames: readonly FrameInput[], faces: ReadonlyArray<{ box: [number, number, number, number]; frame: number }>): Promise<ExpressionProbs[]> {
    const sums = faces.map(() => new Float64Array(ABAW_CLASSES.length));
    for (const runner of this.#expression) {
      const { spec } = runner;
      const channels = spec.color === 'gray' ? 1 : 3;
      const itemSize = spec.inputSize * spec.inputSize * channels;
      const input = new Float32Array(itemSize * faces.length);
      faces.forEach((face, i) => {
        const frame = frames[face.frame]!;
        const [x, y, w, h] = face.box;
        const side = Math.max(w * frame.width, h * frame.height) * spec.cropScale;
        const cx = (x + w / 2) * frame.width;
        const cy = (y + h / 2) * frame.height;
        sampleSquare(frame, { x: cx - side / 2, y: cy - side / 2, side }, spec.inputSize, spec, input, i * itemSize);
      });
      const shape = spec.layout === 'NHWC' ? [faces.length, spec.inputSize, spec.inputSize, channels] : [faces.length, channels, spec.inputSize, spec.inputSize];
      const outputs = await runSession(runner.session, spec.file, { [spec.input]: new ort.Tensor('float32', input, shape) });
      const out = floatOutput(outputs, spec.output);
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

function softmax(logits: ArrayLike<number>): Float32Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}
