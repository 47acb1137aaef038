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
 * black. Values are transformed per channel: (p − mean) / std.
 */
export function sampleSquare(image: RgbImage, region: SquareRegion, size: number, transform: ChannelTransform, out: Float32Array, offset: number): void {
  const { rgb, width, height } = image;
  const scale = region.side / size;
  const channels = transform.color === 'gray' ? 1 : 3;
  const plane = size * size;
  const [wr, wg, wb] = transform.grayWeights ?? [0.2989, 0.587, 0.114];
  const mean0 = transform.mean[0] ?? 0;
  const std0 = transform.std[0] ?? 1;
  const mean = [mean0, transform.mean[1] ?? mean0, transform.mean[2] ?? mean0];
  const invStd = [1 / std0, 1 / (transform.std[1] ?? std0), 1 / (transform.std[2] ?? std0)];
  const swap = transform.color === 'bgr';
  const px = [0, 0, 0];
  for (let oy = 0; oy < size; oy++) {
    const sy = region.y + (oy + 0.5) * scale - 0.5;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    for (let ox = 0; ox < size; ox++) {
      const sx = region.x + (ox + 0.5) * scale - 0.5;
      const x0 = Math.floor(sx);
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const a = pixel(rgb, width, height, x0, y0, c);
        const b = pixel(rgb, width, height, x0 + 1, y0, c);
        const d = pixel(rgb, width, height, x0, y0 + 1, c);
        const e = pixel(rgb, width, height, x0 + 1, y0 + 1, c);
        px[c] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
      }
      const index = oy * size + ox;
      if (channels === 1) {
        const gray = wr * px[0]! + wg * px[1]! + wb * px[2]!;
        out[offset + index] = (gray - mean0) / std0;
        continue;
      }
      for (let c = 0; c < 3; c++) {
        const value = (px[swap ? 2 - c : c]! - mean[c]!) * invStd[c]!;
        if (transform.layout === 'NHWC') out[offset + index * 3 + c] = value;
        else out[offset + c * plane + index] = value;
      }
    }
  }
}

function pixel(rgb: Uint8Array, width: number, height: number, x: number, y: number, c: number): number {
  if (x < 0 || y < 0 || x >= width || y >= height) return 0;
  return rgb[(y * width + x) * 3 + c]!;
}
