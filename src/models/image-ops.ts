/**
 * Pixel work that prepares model inputs from packed RGB frames: a letterboxed square for the face
 * detector and square face crops for the expression models. Bilinear sampling with half-pixel centres;
 * written out by hand because it runs per frame inside the inference workers, where a per-call native
 * image library round trip would cost more than the arithmetic.
 */
export interface RgbImage {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Where a square region of the frame lands: its top-left corner and side, in frame pixels. */
export interface SquareRegion {
  readonly x: number;
  readonly y: number;
  readonly side: number;
}

export interface ChannelTransform {
  readonly color: 'rgb' | 'bgr' | 'gray';
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly grayWeights?: readonly [number, number, number];
  readonly layout: 'NHWC' | 'NCHW';
}

/** The square that holds the whole frame centred in it (padding on the short side). */
export function letterboxRegion(width: number, height: number): SquareRegion {
  const side = Math.max(width, height);
  return { x: (width - side) / 2, y: (height - side) / 2, side };
}

/**
 * Samples `region` of `image` into a size×size tensor at `out[offset…]`. Outside the frame reads as
 * black. Values are transformed per channel: (p − mean) / std. Column taps are computed once per call
 * and the inner loop reads the frame directly: this runs for every frame and every face crop.
 */
export function sampleSquare(image: RgbImage, region: SquareRegion, size: number, transform: ChannelTransform, out: Float32Array, offset: number): void {
  const { rgb, width, height } = image;
  const scale = region.side / size;
  const plane = size * size;
  const gray = transform.color === 'gray';
  const [wr, wg, wb] = transform.grayWeights ?? [0.2989, 0.587, 0.114];
  const mean0 = transform.mean[0] ?? 0;
  const std0 = transform.std[0] ?? 1;
  const swap = transform.color === 'bgr';
  const meanOf = (c: number) => transform.mean[c] ?? mean0;
  const stdOf = (c: number) => transform.std[c] ?? std0;
  // Output channel k reads source channel src[k]; BGR models get R and B swapped.
  const src = swap ? [2, 1, 0] : [0, 1, 2];
  const m = [meanOf(0), meanOf(1), meanOf(2)];
  const inv = [1 / stdOf(0), 1 / stdOf(1), 1 / stdOf(2)];
  const nhwc = transform.layout === 'NHWC';

  // Per output column: byte offsets of the left and right taps (−1 when outside) and the right weight.
  const left = new Int32Array(size);
  const right = new Int32Array(size);
  const fxs = new Float32Array(size);
  for (let ox = 0; ox < size; ox++) {
    const sx = region.x + (ox + 0.5) * scale - 0.5;
    const x0 = Math.floor(sx);
    fxs[ox] = sx - x0;
    left[ox] = x0 >= 0 && x0 < width ? x0 * 3 : -1;
    right[ox] = x0 + 1 >= 0 && x0 + 1 < width ? (x0 + 1) * 3 : -1;
  }
  const px = new Float32Array(3);
  for (let oy = 0; oy < size; oy++) {
    const sy = region.y + (oy + 0.5) * scale - 0.5;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    const top = y0 >= 0 && y0 < height ? y0 * width * 3 : -1;
    const bottom = y0 + 1 >= 0 && y0 + 1 < height ? (y0 + 1) * width * 3 : -1;
    for (let ox = 0; ox < size; ox++) {
      const fx = fxs[ox]!;
      const l = left[ox]!;
      const r = right[ox]!;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      for (let c = 0; c < 3; c++) {
        let v = 0;
        if (top >= 0) {
          if (l >= 0) v += w00 * rgb[top + l + c]!;
          if (r >= 0) v += w01 * rgb[top + r + c]!;
        }
        if (bottom >= 0) {
          if (l >= 0) v += w10 * rgb[bottom + l + c]!;
          if (r >= 0) v += w11 * rgb[bottom + r + c]!;
        }
        px[c] = v;
      }
      const index = oy * size + ox;
      if (gray) {
        out[offset + index] = (wr * px[0]! + wg * px[1]! + wb * px[2]! - mean0) / std0;
      } else if (nhwc) {
        const o = offset + index * 3;
        out[o] = (px[src[0]!]! - m[0]!) * inv[0]!;
        out[o + 1] = (px[src[1]!]! - m[1]!) * inv[1]!;
        out[o + 2] = (px[src[2]!]! - m[2]!) * inv[2]!;
      } else {
        out[offset + index] = (px[src[0]!]! - m[0]!) * inv[0]!;
        out[offset + plane + index] = (px[src[1]!]! - m[1]!) * inv[1]!;
        out[offset + 2 * plane + index] = (px[src[2]!]! - m[2]!) * inv[2]!;
      }
    }
  }
}
