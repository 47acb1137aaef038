/**
 * The committed `trained` pack: its manifest loads and checks its face model's sha256, and ONNX
 * Runtime reproduces the PyTorch outputs recorded at export (real FER2013 val images and noise).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadManifest, readVerifiedModel } from '../../src/models/manifest.js';
import { createSession, floatOutput, ort } from '../../src/models/ort-session.js';
import { ROOT } from '../../src/tools/harness/media.js';

describe('trained model pack', () => {
  it('loads, and its exported face model matches PyTorch within 1e-4', async () => {
    const pack = loadManifest(join(ROOT, 'models', 'trained', 'manifest.json'));
    const spec = pack.manifest.models.expression[0]!;
    const session = await createSession(readVerifiedModel(pack.pathOf(spec), spec.sha256), spec.file, { intraOpThreads: 1 });
    const parity = JSON.parse(readFileSync(join(ROOT, 'models', 'trained', 'face-mesca-resnet.parity.json'), 'utf8')) as { input: number[]; input_shape: number[]; logits: number[] };
    const out = floatOutput(await session.run({ [spec.input]: new ort.Tensor('float32', Float32Array.from(parity.input), parity.input_shape) }), spec.output);
    assert.equal(out.length, parity.logits.length);
    let worst = 0;
    out.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - parity.logits[i]!))));
    assert.ok(worst <= 1e-4, `max abs diff ${worst}`);
    // The seven FER2013 classes, each mapped onto an ABAW class.
    assert.deepEqual(Object.values(spec.labelMap).sort(), ['Anger', 'Disgust', 'Fear', 'Happiness', 'Neutral', 'Sadness', 'Surprise']);
    await session.release();
  });
});
