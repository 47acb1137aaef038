/**
 * How sharp a face is, from the frame's pixels around its box: the standard deviation of the
 * Laplacian of the gray face crop, divided by the crop's own gray standard deviation so that
 * lighting and contrast cancel out. Blur (motion, focus, heavy compression) removes the fine detail
 * the Laplacian responds to, and with it the detail the expression models read. The crop is sampled
 * at most at 48 px and never above the face's own size, so a small face is not called blurred merely
 * because it was enlarged. Runs in the inference workers, next to the detector.
 */
import { sampleSquare, type RgbImage } from './image-ops.js';

const MAX_SIDE = 48;
const MIN_SIDE = 16;

export function faceSharpness(image: RgbImage, box: readonly [number, number, number, number]): number {
  const [x, y, w, h] = box;
  const sidePx = Math.max(w * image.width, h * image.height);
  const size = Math.max(MIN_SIDE, Math.min(MAX_SIDE, Math.round(sidePx)));
  const cx = (x + w / 2) * image.width;
  const cy = (y + h / 2) * image.height;
  const gray = new Float32Array(size * size);
  sampleSquare(image, { x: cx - sidePx / 2, y: cy - sidePx / 2, side: sidePx }, size, { color: 'gray', mean: [0], std: [1], layout: 'NHWC' }, gray, 0);
  let sum = 0;
  let sumSq = 0;
  for (const v of gray) {
    sum += v;
    sumSq += v * v;
  }
  const n = gray.length;
  const contrast = Math.sqrt(Math.max(0, sumSq / n - (sum / n) ** 2));
  if (contrast < 1e-3) return 0;
  let lapSum = 0;
  let lapSq = 0;
  let count = 0;
  for (let r = 1; r < size - 1; r++) {
    for (let c = 1; c < size - 1; c++) {
      const i = r * size + c;
      const lap = gray[i - size]! + gray[i + size]! + gray[i - 1]! + gray[i + 1]! - 4 * gray[i]!;
      lapSum += lap;
      lapSq += lap * lap;
      count += 1;
    }
  }
  return Math.sqrt(Math.max(0, lapSq / count - (lapSum / count) ** 2)) / contrast;
}
