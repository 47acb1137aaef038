// Why this file exists: model A (mini-Xception emotion, from @vladmandic/human) is a
// TF.js *graph* model. This turns its frozen TF op graph into an ONNX graph with a
// dynamic batch, so the app runs it in onnxruntime-node like every other model.
// Only the op subset such small CNNs use is supported; anything else fails loudly.
import { conversionMetadata, GraphBuilder, type Attr, type ConversionMeta, type Shape } from './onnx-builder.js';
import { decodeWeights, depthwiseToGrouped, hwioToOihw, parseWeightsManifest, type DecodedWeight } from './tfjs-weights.js';

interface TfAttr {
  s?: string; i?: string | number; f?: number; b?: boolean; type?: string;
  list?: { s?: string[]; i?: (string | number)[] };
  shape?: { dim?: { size?: string | number }[] };
}
interface TfNode { name: string; op: string; input?: string[]; attr?: Record<string, TfAttr> }
interface GraphModelJson {
  format?: string; generatedBy?: string; convertedBy?: string;
  modelTopology?: { node?: TfNode[] };
  weightsManifest?: unknown;
  userDefinedMetadata?: { signature?: { outputs?: Record<string, { tensorShape?: { dim?: { size?: string | number }[] } }> } };
}

/** 'nchw': a 4-D tensor we keep transposed (TF sees NHWC); 'plain': same layout as in TF. */
type Layout = 'nchw' | 'plain';
interface Value { name: string; layout: Layout }

const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];
const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

function parseInput(ref: string): string | undefined {
  if (ref.startsWith('^')) return undefined; // control dependency: no data flows
  const m = /^(.*?)(?::(\d+))?$/.exec(ref)!;
  if (m[2] && m[2] !== '0') throw new Error(`tensor ${ref}: only the first output of a TF op is supported`);
  return m[1]!;
}

export function convertTfjsGraphModel(modelJson: unknown, weightData: Uint8Array, meta: ConversionMeta): Uint8Array {
  const model = modelJson as GraphModelJson;
  const tfNodes = model?.modelTopology?.node;
  if (!Array.isArray(tfNodes)) throw new Error('convertTfjsGraphModel: expected a TF.js graph model (modelTopology.node)');
  const weights = decodeWeights(parseWeightsManifest(model.weightsManifest), weightData);
  const byName = new Map(tfNodes.map((n) => [n.name, n]));
  const inputsOf = (n: TfNode): string[] => (n.input ?? []).map(parseInput).filter((x): x is string => x !== undefined);

  // The graph output: from the signature, else the single non-Const node nobody consumes.
  const sigOutputs = Object.keys(model.userDefinedMetadata?.signature?.outputs ?? {});
  let outputTf: string;
  if (sigOutputs.length > 0) {
    if (sigOutputs.length !== 1) throw new Error(`convertTfjsGraphModel: expected one output, signature has ${sigOutputs.length}`);
    outputTf = parseInput(sigOutputs[0]!)!;
  } else {
    const consumed = new Set(tfNodes.flatMap(inputsOf));
    const sinks = tfNodes.filter((n) => n.op !== 'Const' && !consumed.has(n.name));
    if (sinks.length !== 1) throw new Error(`convertTfjsGraphModel: cannot tell the output among ${sinks.map((n) => n.name).join(', ')}`);
    outputTf = sinks[0]!.name;
  }

  const b = new GraphBuilder();
  const inputName = b.unique('input'); // reserved before any TF name can take it
  const values = new Map<string, Value>();
  const initCache = new Map<string, string>();
  let inputShape: Shape | undefined;

  const node = (name: string): TfNode => {
    const n = byName.get(name);
    if (!n) throw new Error(`convertTfjsGraphModel: graph references unknown node ${name}`);
    return n;
  };
  const attr = (n: TfNode, key: string): TfAttr | undefined => n.attr?.[key];
  const str = (n: TfNode, key: string, dflt?: string): string => {
    const a = attr(n, key)?.s;
    if (a === undefined) {
      if (dflt === undefined) throw new Error(`${n.op} ${n.name}: missing attr ${key}`);
      return dflt;
    }
    return b64(a);
  };
  const ints = (n: TfNode, key: string, dflt: number[]): number[] => attr(n, key)?.list?.i?.map(Number) ?? dflt;

  /** Follows Identity chains back to a Const, returning its decoded weight (or undefined). */
  const constOf = (ref: string): DecodedWeight | undefined => {
    let n = node(ref);
    while (n.op === 'Identity' && inputsOf(n).length === 1) n = node(inputsOf(n)[0]!);
    if (n.op !== 'Const') return undefined;
    const w = weights.get(n.name);
    if (!w) throw new Error(`Const ${n.name}: no weight of that name in weightsManifest`);
    return w;
  };
  const requireConst = (ref: string, who: TfNode): DecodedWeight & { data: Float32Array } => {
    const w = constOf(ref);
    if (!w || !(w.data instanceof Float32Array)) throw new Error(`${who.op} ${who.name}: input ${ref} must be a float32 Const`);
    return w as DecodedWeight & { data: Float32Array };
  };
  const cachedInit = (key: string, make: () => string): string => {
    let name = initCache.get(key);
    if (!name) initCache.set(key, (name = make()));
    return name;
  };
  const valueOf = (ref: string): Value => {
    const v = values.get(ref);
    if (!v) throw new Error(`convertTfjsGraphModel: value ${ref} used before it was produced`);
    return v;
  };

  /** A float Const used as an elementwise operand next to a value in `layout`. */
  const constOperand = (w: DecodedWeight, layout: Layout, who: TfNode): string => {
    if (!(w.data instanceof Float32Array)) throw new Error(`${who.op} ${who.name}: int32 operand not supported`);
    const data = w.data;
    if (layout === 'plain') return cachedInit(`${w.name}|plain`, () => b.addFloatInitializer(w.name, w.shape, data));
    if (w.shape.length <= 1) {
      // Broadcasts over TF's last axis (channels) -> [C,1,1] against NCHW.
      const dims = w.shape.length === 0 ? [] : [w.shape[0]!, 1, 1];
      return cachedInit(`${w.name}|c11`, () => b.addFloatInitializer(`${w.name}/c11`, dims, data));
    }
    throw new Error(`${who.op} ${who.name}: Const operand of rank ${w.shape.length} next to a 4-D tensor is not supported`);
  };

  const activation = (act: string, x: string, out: string, n: TfNode): string => {
    switch (act) {
      case 'Relu': return b.node('Relu', [x], out);
      case 'Sigmoid': return b.node('Sigmoid', [x], out);
      case 'Tanh': return b.node('Tanh', [x], out);
      case 'Elu': return b.node('Elu', [x], out);
      case 'LeakyRelu': return b.node('LeakyRelu', [x], out, { alpha: { f: attr(n, 'leakyrelu_alpha')?.f ?? attr(n, 'alpha')?.f ?? 0.2 } });
      case 'Relu6': {
        const lo = cachedInit('relu6|min', () => b.addFloatInitializer('relu6_min', [], new Float32Array([0])));
        const hi = cachedInit('relu6|max', () => b.addFloatInitializer('relu6_max', [], new Float32Array([6])));
        return b.node('Clip', [x, lo, hi], out);
      }
      default: throw new Error(`${n.op} ${n.name}: unsupported activation ${act}`);
    }
  };

  const padding = (n: TfNode): 'SAME_UPPER' | [number, number, number, number] | undefined => {
    const p = str(n, 'padding');
    if (p === 'SAME') return 'SAME_UPPER';
    if (p === 'VALID') return undefined;
    if (p === 'EXPLICIT') {
      const e = ints(n, 'explicit_paddings', []); // NHWC pairs: [0,0, top,bottom, left,right, 0,0]
      if (e.length !== 8 || e[0] || e[1] || e[6] || e[7]) throw new Error(`${n.op} ${n.name}: bad explicit_paddings`);
      return [e[2]!, e[4]!, e[3]!, e[5]!];
    }
    throw new Error(`${n.op} ${n.name}: unsupported padding ${p}`);
  };
  const requireNhwc = (n: TfNode): void => {
    const f = str(n, 'data_format', 'NHWC');
    if (f !== 'NHWC') throw new Error(`${n.op} ${n.name}: unsupported data_format ${f}`);
  };
  const spatial = (n: TfNode, key: string): [number, number] => {
    const v = ints(n, key, [1, 1, 1, 1]);
    if (v.length !== 4 || v[0] !== 1 || v[3] !== 1) throw new Error(`${n.op} ${n.name}: unsupported ${key} [${v.join(',')}]`);
    return [v[1]!, v[2]!];
  };
  const nchwInput = (n: TfNode, ref: string): string => {
    const v = valueOf(ref);
    if (v.layout !== 'nchw') throw new Error(`${n.op} ${n.name}: expected a 4-D NHWC input`);
    return v.name;
  };

  const emit = (n: TfNode): void => {
    const ins = inputsOf(n);
    const set = (name: string, layout: Layout): void => void values.set(n.name, { name, layout });
    switch (n.op) {
      case 'Const': return; // materialised lazily by its consumers, in the layout they need
      case 'Identity': case 'StopGradient': case 'Snapshot':
        if (!constOf(ins[0]!)) values.set(n.name, valueOf(ins[0]!));
        return;
      case 'Placeholder': {
        if (inputShape) throw new Error(`Placeholder ${n.name}: only one graph input is supported`);
        const dims = (attr(n, 'shape')?.shape?.dim ?? []).map((d) => Number(d.size ?? -1));
        if (dims.length !== 4) throw new Error(`Placeholder ${n.name}: expected an NHWC 4-D input, got rank ${dims.length}`);
        inputShape = dims.map((d, i) => (d >= 0 ? d : ['N', 'H', 'W', 'C'][i]!));
        return set(b.node('Transpose', [inputName], `${n.name}/nchw`, { perm: { ints: [0, 3, 1, 2] } }), 'nchw');
      }
      case 'Conv2D': case '_FusedConv2D': case 'DepthwiseConv2dNative': case '_FusedDepthwiseConv2dNative': {
        requireNhwc(n);
        const depthwise = n.op.includes('Depthwise');
        const f = requireConst(ins[1]!, n);
        const w = depthwise ? depthwiseToGrouped(f.data, f.shape) : { ...hwioToOihw(f.data, f.shape), group: 1 };
        const wName = cachedInit(`${f.name}|${depthwise ? 'grouped' : 'oihw'}`, () => b.addFloatInitializer(`${f.name}/${depthwise ? 'grouped' : 'oihw'}`, w.dims, w.data));
        const fused = (attr(n, 'fused_ops')?.list?.s ?? []).map(b64);
        let bias: string | undefined;
        if (fused.length > 0) {
          if (fused[0] !== 'BiasAdd' || fused.length > 2 || Number(attr(n, 'num_args')?.i ?? 1) !== 1) {
            throw new Error(`${n.op} ${n.name}: unsupported fused_ops [${fused.join(', ')}]`);
          }
          const bw = requireConst(ins[2]!, n);
          if (bw.shape.length !== 1 || bw.shape[0] !== w.dims[0]) throw new Error(`${n.op} ${n.name}: bias shape [${bw.shape.join(',')}] does not match filter`);
          bias = cachedInit(`${bw.name}|plain`, () => b.addFloatInitializer(bw.name, bw.shape, bw.data));
        }
        const act = fused[1];
        let out = b.conv(nchwInput(n, ins[0]!), wName, bias, act ? `${n.name}/conv` : n.name, {
          strides: spatial(n, 'strides'), dilations: spatial(n, 'dilations'), pad: padding(n), group: w.group,
        });
        if (act) out = activation(act, out, n.name, n);
        return set(out, 'nchw');
      }
      case 'MaxPool': case 'AvgPool': {
        requireNhwc(n);
        const pad = padding(n);
        const attrs: Record<string, Attr> = { kernel_shape: { ints: spatial(n, 'ksize') }, strides: { ints: spatial(n, 'strides') } };
        if (pad === 'SAME_UPPER') attrs.auto_pad = { s: 'SAME_UPPER' }; // AvgPool: padding excluded from the count, as in TF
        else if (pad) attrs.pads = { ints: pad };
        return set(b.node(n.op === 'MaxPool' ? 'MaxPool' : 'AveragePool', [nchwInput(n, ins[0]!)], n.name, attrs), 'nchw');
      }
      case 'Add': case 'AddV2': case 'Sub': case 'Mul': case 'BiasAdd': {
        if (n.op === 'BiasAdd') requireNhwc(n);
        const [ca, cb] = [constOf(ins[0]!), constOf(ins[1]!)];
        if (ca && cb) throw new Error(`${n.op} ${n.name}: both operands are Const (not folded)`);
        const [va, vb] = [ca ? undefined : valueOf(ins[0]!), cb ? undefined : valueOf(ins[1]!)];
        const layout = (va ?? vb)!.layout;
        if (va && vb && va.layout !== vb.layout) throw new Error(`${n.op} ${n.name}: operands have mixed layouts`);
        const a = va ? va.name : constOperand(ca!, layout, n);
        const c = vb ? vb.name : constOperand(cb!, layout, n);
        const op = n.op === 'Sub' ? 'Sub' : n.op === 'Mul' ? 'Mul' : 'Add';
        return set(b.node(op, [a, c], n.name), layout);
      }
      case 'Relu': case 'Relu6': case 'LeakyRelu': case 'Elu': case 'Sigmoid': case 'Tanh': {
        const v = valueOf(ins[0]!);
        return set(activation(n.op, v.name, n.name, n), v.layout);
      }
      case 'Mean': {
        const v = valueOf(ins[0]!);
        const ax = constOf(ins[1]!);
        if (!ax) throw new Error(`Mean ${n.name}: reduction_indices must be a Const`);
        const keep = attr(n, 'keep_dims')?.b ?? false;
        let axes = Array.from(ax.data, Number);
        let layout: Layout = v.layout;
        if (v.layout === 'nchw') {
          axes = axes.map((a) => NHWC_TO_NCHW_AXIS[a < 0 ? a + 4 : a]!);
          // Dropping axes keeps TF's order only if C goes too, or both H and W go.
          if (!keep && !(axes.includes(1) || (axes.includes(2) && axes.includes(3)))) {
            throw new Error(`Mean ${n.name}: reducing these axes without keep_dims is not supported`);
          }
          if (!keep) layout = 'plain';
        }
        axes.sort((x, y) => x - y);
        return set(b.node('ReduceMean', [v.name], n.name, { axes: { ints: axes }, keepdims: { i: keep ? 1 : 0 } }), layout);
      }
      case 'Softmax': {
        const v = valueOf(ins[0]!);
        return set(b.node('Softmax', [v.name], n.name, { axis: { i: v.layout === 'nchw' ? 1 : -1 } }), v.layout);
      }
      default:
        throw new Error(`convertTfjsGraphModel: unsupported TF op "${n.op}" (node ${n.name})`);
    }
  };

  // Depth-first from the output: emits in dependency order and skips dead nodes.
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string): void => {
    if (done.has(name)) return;
    if (visiting.has(name)) throw new Error(`convertTfjsGraphModel: cycle at ${name}`);
    visiting.add(name);
    const n = node(name);
    for (const i of inputsOf(n)) visit(i);
    emit(n);
    visiting.delete(name);
    done.add(name);
  };
  visit(outputTf);

  const out = values.get(outputTf);
  if (!out || !inputShape) throw new Error('convertTfjsGraphModel: output does not depend on a graph input');
  if (out.layout !== 'plain' || !b.nodes.some((x) => x.output?.includes(out.name))) {
    throw new Error(`convertTfjsGraphModel: output ${outputTf} must be a computed [N, classes] tensor`);
  }
  b.renameValue(out.name, 'probs');

  const sigDims = model.userDefinedMetadata?.signature?.outputs?.[sigOutputs[0] ?? '']?.tensorShape?.dim?.map((d) => Number(d.size ?? -1));
  const outShape: Shape = sigDims ? sigDims.map((d, i) => (d >= 0 ? d : i === 0 ? 'N' : `d${i}`)) : ['N', meta.labels.length];
  if (outShape.length !== 2 || outShape[1] !== meta.labels.length) {
    throw new Error(`convertTfjsGraphModel: output shape [${outShape.join(',')}] does not match ${meta.labels.length} labels`);
  }
  return b.toModelBytes({
    graphName: 'expression',
    docString: `Converted by affectstream from the TF.js graph model ${meta.source} (generatedBy ${model.generatedBy ?? '?'}, convertedBy ${model.convertedBy ?? '?'}).`,
    inputs: [{ name: inputName, shape: inputShape }],
    outputs: [{ name: 'probs', shape: outShape }],
    metadata: conversionMetadata(meta, 'affectstream tfjs-graph-to-onnx'),
  });
}
