// Why this file exists: both vendored expression models store their parameters in
// the TF.js weights format (a JSON manifest + one concatenated binary, some entries
// quantised). The ONNX converters need plain float arrays in TF layout, decoded
// exactly the way tf.io.decodeWeights does it, plus the TF->ONNX layout changes.

export type QuantDtype = 'uint8' | 'uint16' | 'float16';

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: QuantDtype; scale?: number; min?: number; original_dtype?: string };
}

export interface DecodedWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

/** Flattens a weights manifest (array of {paths, weights} groups) into its weight specs, in byte order. */
export function parseWeightsManifest(manifest: unknown): TfjsWeightSpec[] {
  if (!Array.isArray(manifest)) throw new Error('TF.js weights manifest: expected an array of weight groups');
  const specs: TfjsWeightSpec[] = [];
  for (const group of manifest as { weights?: unknown }[]) {
    if (!group || !Array.isArray(group.weights)) throw new Error('TF.js weights manifest: group without "weights" list');
    for (const w of group.weights as TfjsWeightSpec[]) {
      if (typeof w.name !== 'string' || !Array.isArray(w.shape) || typeof w.dtype !== 'string') {
        throw new Error(`TF.js weights manifest: malformed entry ${JSON.stringify(w)}`);
      }
      specs.push(w);
    }
  }
  return specs;
}

function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Decodes every weight from `data` (the concatenation of all the manifest's binary
 * paths, in order). Quantised entries are dequantised as value = q * scale + min
 * (computed in double, stored as float32, like TF.js; int32 originals are rounded).
 */
export function decodeWeights(specs: TfjsWeightSpec[], data: Uint8Array): Map<string, DecodedWeight> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Map<string, DecodedWeight>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const dtype = spec.dtype;
    if (dtype !== 'float32' && dtype !== 'int32') {
      throw new Error(`TF.js weight ${spec.name}: unsupported dtype ${dtype}`);
    }
    const q = spec.quantization;
    const bytesPer = q ? (q.dtype === 'uint8' ? 1 : 2) : 4;
    if (q && q.dtype !== 'uint8' && q.dtype !== 'uint16' && q.dtype !== 'float16') {
      throw new Error(`TF.js weight ${spec.name}: unsupported quantization dtype ${String(q.dtype)}`);
    }
    if (offset + size * bytesPer > data.byteLength) {
      throw new Error(`TF.js weight ${spec.name}: needs bytes ${offset}..${offset + size * bytesPer}, binary has ${data.byteLength}`);
    }
    const values = dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
    for (let i = 0; i < size; i++) {
      const at = offset + i * bytesPer;
      let v: number;
      if (!q) v = dtype === 'int32' ? view.getInt32(at, true) : view.getFloat32(at, true);
      else if (q.dtype === 'float16') v = float16ToFloat32(view.getUint16(at, true));
      else {
        const raw = q.dtype === 'uint8' ? view.getUint8(at) : view.getUint16(at, true);
        if (q.scale === undefined || q.min === undefined) throw new Error(`TF.js weight ${spec.name}: quantization lacks scale/min`);
        v = raw * q.scale + q.min;
        if (dtype === 'int32') v = Math.round(v);
      }
      values[i] = v;
    }
    offset += size * bytesPer;
    if (out.has(spec.name)) throw new Error(`TF.js weights: duplicate name ${spec.name}`);
    out.set(spec.name, { name: spec.name, shape: [...spec.shape], dtype, data: values });
  }
  if (offset !== data.byteLength) {
    throw new Error(`TF.js weights: manifest covers ${offset} bytes but the binary has ${data.byteLength}`);
  }
  return out;
}

export function getFloatWeight(weights: Map<string, DecodedWeight>, name: string, shape?: number[]): DecodedWeight & { data: Float32Array } {
  const w = weights.get(name);
  if (!w) throw new Error(`missing weight ${name}`);
  if (!(w.data instanceof Float32Array)) throw new Error(`weight ${name} is ${w.dtype}, expected float32`);
  if (shape && w.shape.join(',') !== shape.join(',')) {
    throw new Error(`weight ${name} has shape [${w.shape.join(',')}], expected [${shape.join(',')}]`);
  }
  return w as DecodedWeight & { data: Float32Array };
}

/** Conv2D filter [H,W,I,O] (TF) -> [O,I,H,W] (ONNX Conv). */
export function hwioToOihw(data: Float32Array, shape: number[]): { data: Float32Array; dims: number[] } {
  const [H, W, I, O] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let h = 0; h < H; h++)
    for (let w = 0; w < W; w++)
      for (let i = 0; i < I; i++)
        for (let o = 0; o < O; o++) out[((o * I + i) * H + h) * W + w] = data[((h * W + w) * I + i) * O + o]!;
  return { data: out, dims: [O, I, H, W] };
}

/**
 * Depthwise filter [H,W,C,M] (TF) -> grouped-conv weight [C*M,1,H,W] (ONNX Conv, group=C).
 * TF's output channel c*M+m reads input channel c, which is exactly ONNX group c's m-th output.
 */
export function depthwiseToGrouped(data: Float32Array, shape: number[]): { data: Float32Array; dims: number[]; group: number } {
  const [H, W, C, M] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let h = 0; h < H; h++)
    for (let w = 0; w < W; w++)
      for (let c = 0; c < C; c++)
        for (let m = 0; m < M; m++) out[((c * M + m) * H + h) * W + w] = data[((h * W + w) * C + c) * M + m]!;
  return { data: out, dims: [C * M, 1, H, W], group: C };
}
