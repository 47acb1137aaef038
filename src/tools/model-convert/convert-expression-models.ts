// Why this file exists: the app ships ONNX versions of the two vendored facial-
// expression models, and they must be reproducible from the npm-sourced originals
// (models/sources.json) by our own code. This wires files -> converters -> models/default.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertFaceApiExpressionModel } from './face-api-expression-to-onnx.js';
import { convertTfjsGraphModel } from './tfjs-graph-to-onnx.js';

export const HUMAN_PKG = '@vladmandic/human@3.3.6';
export const FACE_API_PKG = '@vladmandic/face-api@1.7.15';

export const EXPRESSION_A_FILE = 'expression-a-mini-xception.onnx';
export const EXPRESSION_B_FILE = 'expression-b-face-api.onnx';

/** Model A's classes (FER2013 order, as in human's src/gear/emotion.ts). */
export const EXPRESSION_A_LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
/** Model B's classes (face-api's FACE_EXPRESSION_LABELS). */
export const EXPRESSION_B_LABELS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'];

export const EXPRESSION_A_PREPROCESSING =
  'input [N,64,64,1]: gray = 0.2989*R + 0.587*G + 0.114*B (0..255), x = (gray/255 - 0.5) * 2';
export const EXPRESSION_B_PREPROCESSING =
  'input [N,112,112,3] RGB: x = (rgb - [122.782, 117.001, 104.298]) / 255';

export function expressionSourcePaths(vendorDir: string) {
  const human = join(vendorDir, HUMAN_PKG, 'models');
  const faceApi = join(vendorDir, FACE_API_PKG, 'model');
  return {
    aJson: join(human, 'emotion.json'),
    aBin: join(human, 'emotion.bin'),
    bManifest: join(faceApi, 'face_expression_model-weights_manifest.json'),
    bBin: join(faceApi, 'face_expression_model.bin'),
  };
}

/** Converts both models from their vendored sources and returns the ONNX bytes (no files written). */
export async function buildExpressionModels(vendorDir: string): Promise<{ file: string; bytes: Uint8Array }[]> {
  const p = expressionSourcePaths(vendorDir);
  let files: [string, Buffer, Buffer, string];
  try {
    files = [await readFile(p.aJson, 'utf8'), await readFile(p.aBin), await readFile(p.bBin), await readFile(p.bManifest, 'utf8')];
  } catch (e) {
    throw new Error(`expression model sources missing under ${vendorDir} (${(e as Error).message}); run the set-up first: npm run models`);
  }
  const [aJson, aBin, bBin, bManifest] = files;
  const a = convertTfjsGraphModel(JSON.parse(aJson), aBin, {
    source: `${HUMAN_PKG} models/emotion.json`,
    labels: EXPRESSION_A_LABELS,
    preprocessing: EXPRESSION_A_PREPROCESSING,
  });
  const b = convertFaceApiExpressionModel(JSON.parse(bManifest), bBin, {
    source: `${FACE_API_PKG} model/face_expression_model`,
    labels: EXPRESSION_B_LABELS,
    preprocessing: EXPRESSION_B_PREPROCESSING,
  });
  return [{ file: EXPRESSION_A_FILE, bytes: a }, { file: EXPRESSION_B_FILE, bytes: b }];
}

export async function convertExpressionModels(vendorDir: string, outDir: string): Promise<{ file: string; sha256: string }[]> {
  const models = await buildExpressionModels(vendorDir);
  await mkdir(outDir, { recursive: true });
  const result: { file: string; sha256: string }[] = [];
  for (const m of models) {
    const file = join(outDir, m.file);
    await writeFile(file, m.bytes);
    result.push({ file, sha256: createHash('sha256').update(m.bytes).digest('hex') });
  }
  return result;
}
