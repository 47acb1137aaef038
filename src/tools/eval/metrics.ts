/**
 * The ABAW challenge's scores: accuracy, macro-F1 over the classes present in the labels, per-class
 * F1 and the confusion matrix for expression; the concordance correlation coefficient (CCC) for
 * valence and arousal.
 */
import { ABAW_CLASSES, type AbawClass } from '../../core/abaw.js';

export interface ExpressionScores {
  readonly count: number;
  readonly accuracy: number;
  readonly macroF1: number;
  /** F1 of each class that occurs in the labels or the predictions. */
  readonly perClassF1: Partial<Record<AbawClass, number>>;
  /** confusion[true][predicted], over ABAW_CLASSES order. */
  readonly confusion: number[][];
}

export function expressionScores(truth: readonly AbawClass[], predicted: readonly AbawClass[]): ExpressionScores {
  if (truth.length !== predicted.length) throw new RangeError(`${truth.length} labels but ${predicted.length} predictions`);
  const k = ABAW_CLASSES.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  truth.forEach((t, i) => (confusion[ABAW_CLASSES.indexOf(t)]![ABAW_CLASSES.indexOf(predicted[i]!)]! += 1));
  const perClassF1: Partial<Record<AbawClass, number>> = {};
  let correct = 0;
  const labelled: number[] = [];
  ABAW_CLASSES.forEach((name, c) => {
    const tp = confusion[c]![c]!;
    correct += tp;
    const actual = confusion[c]!.reduce((a, b) => a + b, 0);
    const claimed = confusion.reduce((a, row) => a + row[c]!, 0);
    if (actual === 0 && claimed === 0) return;
    const precision = claimed > 0 ? tp / claimed : 0;
    const recall = actual > 0 ? tp / actual : 0;
    perClassF1[name] = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    if (actual > 0) labelled.push(perClassF1[name]!);
  });
  return {
    count: truth.length,
    accuracy: truth.length > 0 ? correct / truth.length : 0,
    macroF1: labelled.length > 0 ? labelled.reduce((a, b) => a + b, 0) / labelled.length : 0,
    perClassF1,
    confusion,
  };
}

/** Lin's concordance correlation coefficient: agreement in correlation, mean and scale at once. */
export function ccc(truth: readonly number[], predicted: readonly number[]): number {
  const n = truth.length;
  if (n === 0 || n !== predicted.length) throw new RangeError('CCC needs two series of the same, non-zero length');
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / n;
  const mt = mean(truth);
  const mp = mean(predicted);
  let vt = 0;
  let vp = 0;
  let cov = 0;
  for (let i = 0; i < n; i++) {
    vt += (truth[i]! - mt) ** 2;
    vp += (predicted[i]! - mp) ** 2;
    cov += (truth[i]! - mt) * (predicted[i]! - mp);
  }
  vt /= n;
  vp /= n;
  cov /= n;
  const denominator = vt + vp + (mt - mp) ** 2;
  return denominator > 0 ? (2 * cov) / denominator : 0;
}
