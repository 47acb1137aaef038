import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAnchors, decodeDetections, iou, weightedNms } from '../../src/models/blazeface.js';

describe('BlazeFace decoding', () => {
  it('builds the 896 anchors of the 128 px model, fine grid first', () => {
    const anchors = buildAnchors(128, [{ stride: 8, perCell: 2 }, { stride: 16, perCell: 6 }]);
    assert.equal(anchors.length, 896);
    assert.deepEqual(anchors[0], { cx: 0.5 / 16, cy: 0.5 / 16 });
    assert.deepEqual(anchors[512], { cx: 0.5 / 8, cy: 0.5 / 8 });
  });

  it('decodes boxes around their anchors and drops low scores', () => {
    const anchors = [{ cx: 0.5, cy: 0.5 }, { cx: 0.25, cy: 0.25 }];
    const scores = Float32Array.from([3, -3]);
    const boxes = Float32Array.from([12.8, 0, 32, 64, 0, 0, 10, 10]);
    const found = decodeDetections(scores, boxes, 4, anchors, 128, 0.5);
    assert.equal(found.length, 1);
    const d = found[0]!;
    assert.ok(Math.abs(d.x - (0.6 - 0.125)) < 1e-6 && Math.abs(d.y - 0.25) < 1e-6);
    assert.ok(Math.abs(d.w - 0.25) < 1e-6 && Math.abs(d.h - 0.5) < 1e-6);
    assert.ok(Math.abs(d.score - 1 / (1 + Math.exp(-3))) < 1e-6);
  });

  it('blends overlapping detections by score and keeps separate faces apart', () => {
    const a = { x: 0.1, y: 0.1, w: 0.2, h: 0.2, score: 0.9 };
    const b = { x: 0.12, y: 0.1, w: 0.2, h: 0.2, score: 0.6 };
    const c = { x: 0.6, y: 0.6, w: 0.2, h: 0.2, score: 0.8 };
    assert.ok(iou(a, b) > 0.3 && iou(a, c) === 0);
    const kept = weightedNms([b, c, a], 0.3);
    assert.equal(kept.length, 2);
    assert.equal(kept[0]!.score, 0.9);
    assert.ok(Math.abs(kept[0]!.x - (0.1 * 0.9 + 0.12 * 0.6) / 1.5) < 1e-9);
    for (const key of ['x', 'y', 'w', 'h', 'score'] as const) assert.ok(Math.abs(kept[1]![key] - c[key]) < 1e-12);
  });
});
