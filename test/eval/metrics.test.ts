import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ccc, expressionScores } from '../../src/tools/eval/metrics.js';
import type { AbawClass } from '../../src/core/abaw.js';

describe('evaluation metrics', () => {
  it('computes accuracy, macro-F1 over the labelled classes, per-class F1 and the confusion matrix', () => {
    const truth: AbawClass[] = ['Happiness', 'Happiness', 'Happiness', 'Sadness', 'Sadness', 'Anger'];
    const predicted: AbawClass[] = ['Happiness', 'Happiness', 'Sadness', 'Sadness', 'Other', 'Anger'];
    const s = expressionScores(truth, predicted);
    assert.equal(s.count, 6);
    assert.equal(s.accuracy, 4 / 6);
    // Happiness: P 1, R 2/3 → 0.8; Sadness: P 1/2, R 1/2 → 0.5; Anger: 1; Other: predicted but never true → 0, not averaged.
    assert.ok(Math.abs(s.perClassF1.Happiness! - 0.8) < 1e-12);
    assert.ok(Math.abs(s.perClassF1.Sadness! - 0.5) < 1e-12);
    assert.equal(s.perClassF1.Anger, 1);
    assert.equal(s.perClassF1.Other, 0);
    assert.ok(Math.abs(s.macroF1 - (0.8 + 0.5 + 1) / 3) < 1e-12);
    assert.equal(s.confusion.flat().reduce((a, b) => a + b, 0), 6);
  });

  it('gives CCC 1 for agreement, less for a shift or a scale, −1 for a mirror', () => {
    const x = [-0.5, -0.1, 0.2, 0.4, 0.9];
    assert.ok(Math.abs(ccc(x, x) - 1) < 1e-12);
    assert.ok(ccc(x, x.map((v) => v + 0.3)) < 0.9);
    assert.ok(ccc(x, x.map((v) => v * 0.5)) < 0.95);
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    assert.ok(Math.abs(ccc(x, x.map((v) => 2 * mean - v)) + 1) < 1e-12);
    assert.throws(() => ccc([], []), RangeError);
  });
});
