/**
 * The trained pack's speech expression model: ONNX Runtime reproduces the PyTorch outputs recorded at
 * export; the manifest slot is validated with messages naming the field; the speech context keeps what
 * the model may see; and the voice analyzer's window-by-window log-mel frames line up with those of
 * the whole signal (no frame lost or repeated at window boundaries).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadManifest, readVerifiedModel } from '../../src/models/manifest.js';
import { createSession, floatOutput, ort } from '../../src/models/ort-session.js';
import { emptySpeechContext, extendSpeechContext } from '../../src/models/speech-context.js';
import { VoiceAnalyzer, initialVoiceCarry, type VoiceCarry } from '../../src/models/voice-analyzer.js';
import { execFileAsync, ROOT, tempDir } from '../../src/tools/harness/media.js';

const TRAINED = join(ROOT, 'models', 'trained', 'manifest.json');
const DEFAULT = join(ROOT, 'models', 'default', 'manifest.json');

interface ParityCase {
  mel: number[];
  mel_shape: number[];
  embeddings: number[];
  embeddings_shape: number[];
  logits: number[];
}

/** 16 kHz mono float samples of espeak-ng speech, decoded by GStreamer (the analysis format). */
async function speech(text: string): Promise<Float32Array> {
  const dir = tempDir();
  const wav = join(dir, 'speech.wav');
  await execFileAsync('espeak-ng', ['-w', wav, text]);
  const raw = join(dir, 'speech.f32');
  await execFileAsync('gst-launch-1.0', ['-q', 'filesrc', `location=${wav}`, '!', 'decodebin', '!', 'audioconvert', '!', 'audioresample', '!', 'audio/x-raw,format=F32LE,channels=1,rate=16000', '!', 'filesink', `location=${raw}`]);
  const bytes = readFileSync(raw);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

describe('speech expression model', () => {
  it('the committed model matches its PyTorch parity record within 1e-4', async () => {
    const pack = loadManifest(TRAINED);
    const spec = pack.manifest.models.speechExpression;
    assert.ok(spec, 'the trained pack declares models.speechExpression');
    const session = await createSession(readVerifiedModel(pack.pathOf(spec), spec.sha256), spec.file, { intraOpThreads: 1 });
    const parity = JSON.parse(readFileSync(pack.pathOf({ file: spec.file.replace(/\.onnx$/, '.parity.json') }), 'utf8')) as { cases: ParityCase[] };
    assert.ok(parity.cases.length >= 3);
    let worst = 0;
    for (const c of parity.cases) {
      const feeds = {
        [spec.inputs.mel]: new ort.Tensor('float32', Float32Array.from(c.mel), c.mel_shape),
        [spec.inputs.embeddings!]: new ort.Tensor('float32', Float32Array.from(c.embeddings), c.embeddings_shape),
      };
      const out = floatOutput(await session.run(feeds), spec.output);
      assert.equal(out.length, c.logits.length);
      out.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - c.logits[i]!))));
    }
    assert.ok(worst <= 1e-4, `max abs diff ${worst}`);
    assert.deepEqual(spec.labels, ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised']);
    assert.equal(spec.labelMap.calm, 'Neutral');
    await session.release();
  });

  it('refuses a speech model slot with unmapped labels or a bad context, naming the field', () => {
    const manifest = JSON.parse(readFileSync(TRAINED, 'utf8')) as { models: { speechExpression: Record<string, unknown> } };
    const dir = tempDir();
    const write = (slot: Record<string, unknown>) => {
      const path = join(dir, 'manifest.json');
      writeFileSync(path, JSON.stringify({ ...manifest, models: { ...manifest.models, speechExpression: slot } }));
      return path;
    };
    const slot = manifest.models.speechExpression;
    const { calm: _calm, ...withoutCalm } = slot.labelMap as Record<string, string>;
    assert.throws(() => loadManifest(write({ ...slot, labelMap: withoutCalm })), /models\.speechExpression\.labelMap has no ABAW class for labels: calm/);
    assert.throws(() => loadManifest(write({ ...slot, contextSeconds: 0 })), /models\.speechExpression\.contextSeconds/);
    assert.throws(() => loadManifest(write({ ...slot, inputs: {} })), /models\.speechExpression\.inputs\.mel/);
    assert.throws(() => loadManifest(write({ ...slot, labelMap: { ...(slot.labelMap as object), calm: 'Calm' } })), /models\.speechExpression\.labelMap\.calm/);
  });

  it('keeps the last frames, and only embeddings whose patches lie inside them', () => {
    const shape = { bins: 2, frames: 5, dimensions: 1, patchFrames: 3 };
    const mel = (from: number, n: number) => Float32Array.from({ length: n * 2 }, (_, i) => from + Math.floor(i / 2));
    let ctx = extendSpeechContext(emptySpeechContext(), mel(0, 4), Float32Array.of(10, 20), [2, 3], shape);
    assert.equal(ctx.frames, 4);
    assert.deepEqual([...ctx.embeddingEnds], [2, 3]);
    ctx = extendSpeechContext(ctx, mel(4, 3), Float32Array.of(30), [6], shape);
    // Frames 2..6 are kept; the patch ending at 2 began at frame 0 and falls out, the one ending at 3 began at 1 and too.
    assert.deepEqual([...ctx.mel], [2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    assert.deepEqual([...ctx.embeddingEnds], [6]);
    assert.deepEqual([...ctx.embeddings], [30]);
  });

  // The front end floors its output at a fixed distance below the loudest frame it is given, so quiet
  // frames depend on the chunk they came in (why training features are extracted by the runtime's own
  // code); every frame above both floors must be the whole signal's, frame for frame.
  it('the voice analyzer\'s log-mel frames, window by window, line up with those of the whole signal', async () => {
    const pack = loadManifest(DEFAULT);
    const mel = pack.manifest.models.mel;
    const samples = await speech('Kids are talking by the door, and the dogs are sitting by the door.');
    const analyzer = await VoiceAnalyzer.create(pack, { intraOpThreads: 1 });
    let carry: VoiceCarry = initialVoiceCarry(pack.manifest.models.vad);
    const windows: Float32Array[] = [];
    for (let start = 0; start + 4000 <= samples.length; start += 16000) {
      const [result] = await analyzer.analyzeBatch([{ audio: samples.slice(start, start + 16000), carry, embeddings: true, features: true }]);
      carry = result!.carry;
      windows.push(result!.mel!);
      assert.equal(result!.embeddingEnds!.length, result!.embeddingCount);
    }
    const joined = new Float32Array(windows.reduce((n, w) => n + w.length, 0));
    windows.reduce((at, w) => (joined.set(w, at), at + w.length), 0);
    const session = await createSession(readVerifiedModel(pack.pathOf(mel), mel.sha256), mel.file, { intraOpThreads: 1 });
    const analysed = Math.min(samples.length, windows.length * 16000);
    const scaled = samples.slice(0, analysed).map((x) => x * mel.inputScale);
    const whole = floatOutput(await session.run({ [mel.input]: new ort.Tensor('float32', scaled, [1, scaled.length]) }), mel.output);
    assert.equal(joined.length, whole.length);
    const floor = Math.min(...whole);
    let worst = 0;
    let floored = 0;
    joined.forEach((v, i) => {
      const w = whole[i]!;
      if (Math.abs(w - floor) < 1e-3 && v <= w + 1e-3) floored++;
      else worst = Math.max(worst, Math.abs(v - w));
    });
    assert.ok(worst <= 1e-3, `max abs diff ${worst} above the floor`);
    assert.ok(floored < joined.length / 4, `${floored} of ${joined.length} values at the floor`);
    assert.equal(carry.speech?.frames, whole.length / mel.bins);
    await session.release();
  });
});
