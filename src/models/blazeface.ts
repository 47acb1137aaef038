/**
 * Turns BlazeFace's raw anchor outputs into face boxes: anchor grid, box decoding and weighted
 * non-maximum suppression (overlapping detections are blended by score, as MediaPipe does, which
 * steadies boxes from frame to frame better than plain NMS).
 */
export interface Anchor {
  readonly cx: number;
  readonly cy: number;
}

export interface Detection {
  /** Normalised to the detector input square: centre-free box [x, y, w, h]. */
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly score: number;
}

export function buildAnchors(inputSize: number, layers: ReadonlyArray<{ stride: number; perCell: number }>): Anchor[] {
  const anchors: Anchor[] = [];
  for (const { stride, perCell } of layers) {
    const grid = Math.ceil(inputSize / stride);
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let k = 0; k < perCell; k++) anchors.push({ cx: (x + 0.5) / grid, cy: (y + 0.5) / grid });
      }
    }
  }
  return anchors;
}

/**
 * Decodes detections above `scoreThreshold`. `scores` and `boxes` hold the model's outputs for all
 * anchors in anchor order (boxes: `boxStride` values per anchor, dx, dy, w, h first, in input pixels).
 */
export function decodeDetections(scores: Float32Array, boxes: Float32Array, boxStride: number, anchors: readonly Anchor[], inputSize: number, scoreThreshold: number): Detection[] {
  const found: Detection[] = [];
  const logitThreshold = Math.log(scoreThreshold / (1 - scoreThreshold));
  for (let i = 0; i < anchors.length; i++) {
    const logit = scores[i]!;
    if (!(logit >= logitThreshold)) continue;
    const anchor = anchors[i]!;
    const o = i * boxStride;
    const cx = anchor.cx + boxes[o]! / inputSize;
    const cy = anchor.cy + boxes[o + 1]! / inputSize;
    const w = boxes[o + 2]! / inputSize;
    const h = boxes[o + 3]! / inputSize;
    if (!(w > 0 && h > 0)) continue;
    found.push({ x: cx - w / 2, y: cy - h / 2, w, h, score: 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, logit)))) });
  }
  return found;
}

export function iou(a: Detection, b: Detection): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.w, b.x + b.w);
  const y2 = Math.min(a.y + a.h, b.y + b.h);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

export function weightedNms(detections: readonly Detection[], iouThreshold: number): Detection[] {
  const remaining = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  while (remaining.length > 0) {
    const best = remaining[0]!;
    const cluster: Detection[] = [];
    const rest: Detection[] = [];
    for (const d of remaining) (iou(best, d) > iouThreshold ? cluster : rest).push(d);
    let total = 0;
    let x = 0;
    let y = 0;
    let w = 0;
    let h = 0;
    for (const d of cluster) {
      total += d.score;
      x += d.x * d.score;
      y += d.y * d.score;
      w += d.w * d.score;
      h += d.h * d.score;
    }
    kept.push({ x: x / total, y: y / total, w: w / total, h: h / total, score: best.score });
    remaining.splice(0, remaining.length, ...rest);
  }
  return kept;
}
