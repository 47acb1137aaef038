// Why this file exists: the BlazeFace ONNX files are exported with a fixed batch of 1. Their channel
// padding is a Concat with a ConstantOfShape of shape [1, c, h, w] and their heads end in Reshapes to
// [1, anchors, k], so a batch of frames cannot run through them as shipped. This rewrite turns the
// padding into Pad ops (which follow the batch), the Reshapes' leading 1 into -1, and the graph's
// batch dimension into a symbolic one, so the cross-stream scheduler can run many frames per call.
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';

const { onnx } = onnxProto;

export const BATCH_DIM = 'N';

function int64Values(tensor: P.ITensorProto): number[] {
  if (tensor.int64Data && tensor.int64Data.length > 0) return tensor.int64Data.map((v) => Number(v));
  const raw = tensor.rawData;
  if (!raw || raw.length === 0) return [];
  const copy = new Uint8Array(raw);
  return Array.from(new BigInt64Array(copy.buffer, copy.byteOffset, copy.byteLength / 8), (v) => Number(v));
}

function int64Tensor(name: string, values: number[]): P.ITensorProto {
  return { name, dataType: onnx.TensorProto.DataType.INT64, dims: [values.length], int64Data: values };
}

function constantIsZero(node: P.INodeProto): boolean {
  const value = node.attribute?.find((a) => a.name === 'value')?.t;
  if (!value) return true;
  const raw = value.rawData;
  if (raw && raw.length > 0) return raw.every((b) => b === 0);
  return [...(value.floatData ?? []), ...(value.int32Data ?? [])].every((v) => v === 0);
}

function setBatchDim(values: P.IValueInfoProto[] | null | undefined): void {
  for (const value of values ?? []) {
    const first = value.type?.tensorType?.shape?.dim?.[0];
    if (first) {
      first.dimValue = undefined;
      first.dimParam = BATCH_DIM;
    }
  }
}

export interface DynamicBatchReport {
  readonly paddingsRewritten: number;
  readonly reshapesRewritten: number;
}

/** Returns the model with a symbolic batch dimension, or throws when the graph has a fixed-batch op this rewrite does not know. */
export function makeBatchDynamic(model: Uint8Array): { model: Uint8Array; report: DynamicBatchReport } {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph;
  if (!graph) throw new Error('the model has no graph');
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const producers = new Map<string, P.INodeProto>();
  for (const node of graph.node ?? []) for (const out of node.output ?? []) producers.set(out, node);

  let paddingsRewritten = 0;
  let reshapesRewritten = 0;
  const removed = new Set<P.INodeProto>();
  const nodes: P.INodeProto[] = [];
  for (const node of graph.node ?? []) {
    if (node.opType === 'Concat' && node.input?.length === 2) {
      const axis = Number(node.attribute?.find((a) => a.name === 'axis')?.i ?? 0);
      const fillIndex = node.input.findIndex((name) => producers.get(name)?.opType === 'ConstantOfShape');
      const fill = fillIndex >= 0 ? producers.get(node.input[fillIndex]!) : undefined;
      const fillShape = fill ? initializers.get(fill.input?.[0] ?? '') : undefined;
      if (fill && fillShape && constantIsZero(fill)) {
        const shape = int64Values(fillShape);
        if (shape[0] !== 1 || axis < 1 || axis >= shape.length) throw new Error(`cannot rewrite padding ${node.name}: shape ${shape.join('x')}, axis ${axis}`);
        const pads = new Array<number>(shape.length * 2).fill(0);
        // ONNX pads are [begin_0 … begin_r, end_0 … end_r]: zeros after the data when the fill comes second.
        pads[(fillIndex === 1 ? shape.length : 0) + axis] = shape[axis]!;
        const padsName = `${node.output?.[0] ?? node.name}_pads`;
        graph.initializer!.push(int64Tensor(padsName, pads));
        nodes.push({ name: node.name, opType: 'Pad', input: [node.input[1 - fillIndex]!, padsName], output: node.output, attribute: [{ name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('constant') }] });
        removed.add(fill);
        paddingsRewritten += 1;
        continue;
      }
    }
    if (node.opType === 'Reshape') {
      const shapeName = node.input?.[1] ?? '';
      const shapeTensor = initializers.get(shapeName);
      const shape = shapeTensor ? int64Values(shapeTensor) : [];
      if (shape[0] === 1) {
        const dynamicName = `${shapeName}_batch`;
        if (!initializers.has(dynamicName)) {
          const t = int64Tensor(dynamicName, [-1, ...shape.slice(1)]);
          graph.initializer!.push(t);
          initializers.set(dynamicName, t);
        }
        nodes.push({ ...node, input: [node.input![0]!, dynamicName] });
        reshapesRewritten += 1;
        continue;
      }
    }
    if (node.opType === 'ConstantOfShape' || node.opType === 'Expand' || node.opType === 'Tile') {
      // Kept only when something other than a rewritten padding uses it; checked below.
      nodes.push(node);
      continue;
    }
    nodes.push(node);
  }
  const used = new Set(nodes.filter((n) => !removed.has(n)).flatMap((n) => n.input ?? []));
  graph.node = nodes.filter((n) => !removed.has(n) || (n.output ?? []).some((o) => used.has(o)));
  const stillFixed = graph.node.filter((n) => n.opType === 'ConstantOfShape' || n.opType === 'Expand' || n.opType === 'Tile');
  if (stillFixed.length > 0) throw new Error(`cannot make the batch dynamic: ${stillFixed.map((n) => `${n.opType} ${n.name}`).join(', ')} remain`);
  const live = new Set(graph.node.flatMap((n) => n.input ?? []));
  graph.initializer = (graph.initializer ?? []).filter((t) => live.has(t.name ?? ''));
  setBatchDim(graph.input);
  setBatchDim(graph.output);
  // Intermediate shapes recorded with batch 1 would contradict the new batch axis; ORT infers them again.
  graph.valueInfo = [];
  if (!(proto.opsetImport ?? []).some((o) => (o.domain ?? '') === '' && Number(o.version) >= 11)) throw new Error('Pad with a pads input needs opset 11 or later');
  return { model: onnx.ModelProto.encode(proto).finish(), report: { paddingsRewritten, reshapesRewritten } };
}
