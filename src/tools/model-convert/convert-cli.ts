// Why this file exists: a one-line way to (re)generate the shipped expression ONNX
// models from the vendored sources and print their hashes for review.
// Usage: node dist/src/tools/model-convert/convert-cli.js [vendorDir=models/vendor] [outDir=models/default]
import { convertExpressionModels } from './convert-expression-models.js';

const [vendorDir = 'models/vendor', outDir = 'models/default'] = process.argv.slice(2);
try {
  for (const { file, sha256 } of await convertExpressionModels(vendorDir, outDir)) console.log(`${sha256}  ${file}`);
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}
