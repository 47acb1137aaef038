/**
 * Scores a model pack's face branch on a folder of labelled face images. Each image is taken as the
 * face crop (data sets of faces are already cropped), cut for every expression model exactly as the
 * runtime cuts a detected face, and classified through the same inference engine; the predicted label
 * is the one affect events carry.
 */
import { mergeMap, from, lastValueFrom, toArray, map } from 'rxjs';
import { topClass, withOtherClass, type AbawClass, type ExpressionProbs } from '../../core/abaw.js';
import { expressionInput } from '../../models/face-analyzer.js';
import type { LoadedManifest } from '../../models/manifest.js';
import type { InferenceEngine } from '../../pipeline/inference-engine.js';
import { JpegDecoder } from './decode-image.js';
import { listLabelledImages } from './labelled-images.js';
import { expressionScores, type ExpressionScores } from './metrics.js';

const WHOLE_IMAGE: [number, number, number, number] = [0, 0, 1, 1];
/** Images decoded and in inference at once: enough to fill the expression batches. */
const CONCURRENCY = 16;

export interface ImageEvalResult {
  readonly task: 'images';
  readonly root: string;
  /** 'event': the label affect events carry (Other from a flat distribution); 'without-other': the top class of the models. */
  readonly labelling: 'event' | 'without-other';
  readonly scores: ExpressionScores;
  readonly seconds: number;
}

export interface ImageEvalOptions {
  readonly limitPerClass?: number;
  /**
   * Label by the highest of the models' own classes, never Other. Events derive Other from a flat
   * distribution; a data set without an Other class (FER2013) scores the classifier itself this way.
   */
  readonly withoutOther?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function evaluateImages(root: string, pack: LoadedManifest, engine: InferenceEngine, options: ImageEvalOptions = {}): Promise<ImageEvalResult> {
  const started = performance.now();
  const images = listLabelledImages(root, options.limitPerClass);
  const specs = pack.manifest.models.expression;
  let done = 0;
  const decoder = new JpegDecoder();
  const results = await lastValueFrom(
    from(images.map((image, index) => ({ image, index }))).pipe(
      mergeMap(async ({ image, index }) => {
        const rgb = await decoder.decode(image.path);
        const probs: ExpressionProbs = await engine.classifyFace({ inputs: specs.map((spec) => expressionInput(spec, rgb, WHOLE_IMAGE)) });
        options.onProgress?.(++done, images.length);
        return { index, label: image.label, predicted: topClass(options.withoutOther ? probs : withOtherClass(probs)) };
      }, CONCURRENCY),
      toArray(),
      map((rows) => rows.sort((a, b) => a.index - b.index)),
    ),
  ).finally(() => decoder.close());
  const truth: AbawClass[] = results.map((r) => r.label);
  const predicted: AbawClass[] = results.map((r) => r.predicted);
  return { task: 'images', root, labelling: options.withoutOther ? 'without-other' : 'event', scores: expressionScores(truth, predicted), seconds: (performance.now() - started) / 1000 };
}
