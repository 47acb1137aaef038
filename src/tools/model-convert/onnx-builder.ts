// Why this file exists: the expression models ship only as TF.js weights, and the
// runtime (onnxruntime-node) wants ONNX. Rather than depend on a Python toolchain
// (tf2onnx) we emit ONNX ourselves; this is the thin, deterministic layer over the
// protobufjs-generated `onnx` namespace that both converters share.
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';

const { onnx } = onnxProto;

/** Attribute value, tagged by ONNX attribute type. */
export type Attr = { i: number } | { ints: number[] } | { f: number } | { s: string };

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 8;

/** Shape where a string is a symbolic dimension (dim_param), e.g. ['N', 7]. */
export type Shape = (number | string)[];

function toAttribute(name: string, a: Attr): P.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('ints' in a) return { name, type: T.INTS, ints: a.ints };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
}

function floatTensorValueInfo(name: string, shape: Shape): P.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** Little-endian bytes, independent of the host's byte order (keeps output deterministic). */
function float32Bytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return out;
}

function int64Bytes(data: readonly number[]): Uint8Array {
  const out = new Uint8Array(data.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setBigInt64(i * 8, BigInt(data[i]!), true);
  return out;
}

export interface ConvOptions {
  strides?: [number, number];
  dilations?: [number, number];
  /** 'SAME_UPPER' (TF "SAME"), explicit [top, left, bottom, right], or undefined for no padding (TF "VALID"). */
  pad?: 'SAME_UPPER' | [number, number, number, number];
  group?: number;
}

/** What the caller tells a converter about the model it converts; ends up in metadata_props. */
export interface ConversionMeta {
  /** Source package and file, e.g. "@vladmandic/human@3.3.6 models/emotion.json". */
  source: string;
  /** Class labels in the order of the output's last axis. */
  labels: string[];
  /** Free-text description of the preprocessing the caller must apply (optional). */
  preprocessing?: string;
}

export function conversionMetadata(meta: ConversionMeta, converter: string): Record<string, string> {
  const out: Record<string, string> = {
    source: meta.source,
    labels: JSON.stringify(meta.labels),
    converter,
    input_layout: 'NHWC',
  };
  if (meta.preprocessing) out.preprocessing = meta.preprocessing;
  return out;
}

export interface ModelOptions {
  inputs: { name: string; shape: Shape }[];
  outputs: { name: string; shape: Shape }[];
  graphName: string;
  docString?: string;
  metadata: Record<string, string>;
}

/** Accumulates nodes and initializers in insertion order; names are the caller's responsibility. */
export class GraphBuilder {
  readonly nodes: P.INodeProto[] = [];
  readonly initializers: P.ITensorProto[] = [];
  private readonly used = new Set<string>();

  /** Returns `base` if unused, otherwise `base_1`, `base_2`, ... (deterministic). */
  unique(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  hasName(name: string): boolean {
    return this.used.has(name);
  }

  addFloatInitializer(base: string, dims: number[], data: Float32Array): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== data.length) throw new Error(`initializer ${base}: ${data.length} values for shape [${dims.join(',')}]`);
    const name = this.unique(base);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: float32Bytes(data) });
    return name;
  }

  addInt64Initializer(base: string, dims: number[], data: readonly number[]): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: int64Bytes(data) });
    return name;
  }

  /** Adds one node with a single output named after `outputBase`; returns the output name. */
  node(opType: string, inputs: string[], outputBase: string, attrs: Record<string, Attr> = {}): string {
    const output = this.unique(outputBase);
    this.nodes.push({
      opType,
      name: output,
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return output;
  }

  conv(input: string, weight: string, bias: string | undefined, outputBase: string, o: ConvOptions = {}): string {
    const attrs: Record<string, Attr> = {};
    if (o.strides) attrs.strides = { ints: o.strides };
    if (o.dilations) attrs.dilations = { ints: o.dilations };
    if (o.pad === 'SAME_UPPER') attrs.auto_pad = { s: 'SAME_UPPER' };
    else if (o.pad) attrs.pads = { ints: o.pad };
    if (o.group && o.group !== 1) attrs.group = { i: o.group };
    return this.node('Conv', bias ? [input, weight, bias] : [input, weight], outputBase, attrs);
  }

  /** Renames a value everywhere it appears as a node input or output. */
  renameValue(from: string, to: string): void {
    if (from === to) return;
    if (this.used.has(to)) throw new Error(`cannot rename ${from} to ${to}: name already used`);
    for (const n of this.nodes) {
      n.input = (n.input ?? []).map((x) => (x === from ? to : x));
      n.output = (n.output ?? []).map((x) => (x === from ? to : x));
      if (n.name === from) n.name = to;
    }
    this.used.delete(from);
    this.used.add(to);
  }

  /** Serialises the graph as a ModelProto; same builder contents give the same bytes. */
  toModelBytes(o: ModelOptions): Uint8Array {
    const model: P.IModelProto = {
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'affectstream',
      producerVersion: '1',
      docString: o.docString ?? '',
      graph: {
        name: o.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: o.inputs.map((v) => floatTensorValueInfo(v.name, v.shape)),
        output: o.outputs.map((v) => floatTensorValueInfo(v.name, v.shape)),
      },
      metadataProps: Object.entries(o.metadata).map(([key, value]) => ({ key, value })),
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}
