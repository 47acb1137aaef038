// Why this file exists: model B (face-api's FaceExpressionNet) ships as weights only;
// its graph lives in face-api's TypeScript (FaceFeatureExtractor + denseBlock4 +
// depthwiseSeparableConv + fullyConnectedLayer + softmax). This rebuilds that exact
// graph in ONNX around the dequantised weights, so no TF.js is needed at run time.
import { conversionMetadata, GraphBuilder, type ConversionMeta } from './onnx-builder.js';
import {
  decodeWeights, depthwiseToGrouped, getFloatWeight, hwioToOihw, parseWeightsManifest, type DecodedWeight,
} from './tfjs-weights.js';

export const FACE_API_INPUT_SIZE = 112;
/** Channel widths of dense0..dense3 (FaceFeatureExtractor); the classifier reads 256 features. */
const DENSE_CHANNELS = [32, 64, 128, 256] as const;

export function convertFaceApiExpressionModel(manifestJson: unknown, weightData: Uint8Array, meta: ConversionMeta): Uint8Array {
  const weights = decodeWeights(parseWeightsManifest(manifestJson), weightData);
  const classes = meta.labels.length;
  const b = new GraphBuilder();
  const input = b.unique('input');
  const used = new Set<string>();
  const w = (name: string, shape: number[]): DecodedWeight & { data: Float32Array } => {
    used.add(name);
    return getFloatWeight(weights, name, shape);
  };

  /** tf.conv2d(x, filters, stride, 'same') + bias (the plain conv opening dense0). */
  const conv = (x: string, prefix: string, cin: number, cout: number, stride: number): string => {
    const f = w(`${prefix}/filters`, [3, 3, cin, cout]);
    const k = hwioToOihw(f.data, f.shape);
    const bias = w(`${prefix}/bias`, [cout]);
    return b.conv(x, b.addFloatInitializer(f.name, k.dims, k.data), b.addFloatInitializer(bias.name, [cout], bias.data), prefix, {
      strides: [stride, stride], pad: 'SAME_UPPER',
    });
  };

  /** depthwiseSeparableConv: tf.separableConv2d(x, dw, pw, stride, 'same') + bias. The stride applies to the depthwise step. */
  const sepConv = (x: string, prefix: string, cin: number, cout: number, stride: number): string => {
    const dw = w(`${prefix}/depthwise_filter`, [3, 3, cin, 1]);
    const g = depthwiseToGrouped(dw.data, dw.shape);
    const pw = w(`${prefix}/pointwise_filter`, [1, 1, cin, cout]);
    const p = hwioToOihw(pw.data, pw.shape);
    const bias = w(`${prefix}/bias`, [cout]);
    const d = b.conv(x, b.addFloatInitializer(dw.name, g.dims, g.data), undefined, `${prefix}/depthwise`, {
      strides: [stride, stride], pad: 'SAME_UPPER', group: g.group,
    });
    return b.conv(d, b.addFloatInitializer(pw.name, p.dims, p.data), b.addFloatInitializer(bias.name, [cout], bias.data), prefix);
  };

  /** denseBlock4 with isScaleDown = true (conv0 has stride 2). */
  const denseBlock4 = (x: string, prefix: string, cin: number, cout: number, isFirstLayer: boolean): string => {
    const c0 = isFirstLayer ? conv(x, `${prefix}/conv0`, cin, cout, 2) : sepConv(x, `${prefix}/conv0`, cin, cout, 2);
    const out1 = b.node('Relu', [c0], `${prefix}/out1`);
    const out2 = sepConv(out1, `${prefix}/conv1`, cout, cout, 1);
    const in3 = b.node('Relu', [b.node('Add', [out1, out2], `${prefix}/add12`)], `${prefix}/in3`);
    const out3 = sepConv(in3, `${prefix}/conv2`, cout, cout, 1);
    // tf.add(out1, tf.add(out2, out3)): keep face-api's association order.
    const s23 = b.node('Add', [out2, out3], `${prefix}/add23`);
    const in4 = b.node('Relu', [b.node('Add', [out1, s23], `${prefix}/add123`)], `${prefix}/in4`);
    const out4 = sepConv(in4, `${prefix}/conv3`, cout, cout, 1);
    const s34 = b.node('Add', [out3, out4], `${prefix}/add34`);
    const s234 = b.node('Add', [out2, s34], `${prefix}/add234`);
    return b.node('Relu', [b.node('Add', [out1, s234], `${prefix}/add1234`)], `${prefix}/out`);
  };

  let x = b.node('Transpose', [input], 'input/nchw', { perm: { ints: [0, 3, 1, 2] } });
  let cin = 3;
  DENSE_CHANNELS.forEach((cout, i) => {
    x = denseBlock4(x, `dense${i}`, cin, cout, i === 0);
    cin = cout;
  });
  // 112 -> 56 -> 28 -> 14 -> 7; tf.avgPool(out, [7,7], [2,2], 'valid') -> 1x1.
  x = b.node('AveragePool', [x], 'avgpool', { kernel_shape: { ints: [7, 7] }, strides: { ints: [2, 2] } });
  // as2D(N, -1): with a 1x1 spatial map, flattening NCHW gives the same order as NHWC.
  x = b.node('Flatten', [x], 'features', { axis: { i: 1 } });
  const fw = w('fc/weights', [cin, classes]);
  const fb = w('fc/bias', [classes]);
  const logits = b.node('Gemm', [x, b.addFloatInitializer(fw.name, fw.shape, fw.data), b.addFloatInitializer(fb.name, [classes], fb.data)], 'logits');
  b.node('Softmax', [logits], 'probs', { axis: { i: 1 } });

  const unused = [...weights.keys()].filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`convertFaceApiExpressionModel: manifest has weights the graph does not use: ${unused.join(', ')}`);

  return b.toModelBytes({
    graphName: 'face_expression_net',
    docString: `Converted by affectstream from face-api FaceExpressionNet weights (${meta.source}); graph rebuilt from face-api's source.`,
    inputs: [{ name: input, shape: ['N', FACE_API_INPUT_SIZE, FACE_API_INPUT_SIZE, 3] }],
    outputs: [{ name: 'probs', shape: ['N', classes] }],
    metadata: conversionMetadata(meta, 'affectstream face-api-expression-to-onnx'),
  });
}
