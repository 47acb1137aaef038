import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AffectStreamError } from '../../src/core/errors.js';
import { DEFAULT_MANIFEST } from '../../src/server/analysis-settings.js';
import { initialVoiceCarry } from '../../src/models/voice-analyzer.js';
import { loadManifest } from '../../src/models/manifest.js';
import { InferencePool, planPool } from '../../src/pipeline/worker-pool.js';
import { ROOT, tempDir } from '../../src/tools/harness/media.js';

const CUDA_PROVIDER = join(ROOT, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so');

describe('InferencePool', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs requests on several workers at once and rejects after close', async () => {
    const pool = await InferencePool.create({ manifestPath: DEFAULT_MANIFEST, workers: 2 });
    const vad = loadManifest(DEFAULT_MANIFEST).manifest.models.vad;
    // A second of a 200 Hz tone at speech level: no faces needed to exercise both workers.
    const audio = Float32Array.from({ length: 16000 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 200 * i) / 16000));
    const results = (await Promise.all(Array.from({ length: 6 }, () => pool.run({ type: 'voice', items: [{ audio, carry: initialVoiceCarry(vad) }] })))).flat().map((o) => {
      assert.ok(o.ok);
      return o.value;
    });
    for (const r of results) {
      assert.equal(r.frames.length, 31);
      assert.equal(r.carry.pending.length, 16000 - 31 * 512);
      assert.ok(r.embeddingCount > 0);
      assert.ok(Math.abs(r.frames[5]!.pitchHz! - 200) < 4);
    }
    assert.equal(pool.stats().workers, 2);
    assert.equal(pool.stats().completed, 6);
    await pool.close();
    await assert.rejects(pool.run({ type: 'detect', frames: [] }), (e: unknown) => e instanceof AffectStreamError && e.code === 'closed');
  });

  it('plans workers × threads within the cores', () => {
    for (const cores of [1, 2, 3, 4, 8, 16, 64]) {
      const plan = planPool(cores, 'cpu');
      assert.ok(plan.workers >= 1 && plan.workers * plan.intraOpThreads <= Math.max(1, cores - 1), `${cores} cores: ${JSON.stringify(plan)}`);
    }
    assert.deepEqual(planPool(2, 'cpu'), { workers: 1, intraOpThreads: 1 });
    assert.deepEqual(planPool(16, 'cpu'), { workers: 8, intraOpThreads: 1 });
  });

  it('falls back to the CPU when the CUDA provider cannot load, or refuses with deviceStrict', async (t) => {
    if (existsSync(CUDA_PROVIDER)) return t.skip('this machine has the CUDA provider files');
    const pool = await InferencePool.create({ manifestPath: DEFAULT_MANIFEST, workers: 1, device: 'cuda' });
    assert.equal(pool.device, 'cpu');
    await pool.close();
    await assert.rejects(InferencePool.create({ manifestPath: DEFAULT_MANIFEST, workers: 1, device: 'cuda', deviceStrict: true }), (e: unknown) => e instanceof AffectStreamError && e.code === 'device_unavailable' && /cuda/.test(e.message));
  });

  it('refuses to start on a model whose checksum does not match', async () => {
    const source = loadManifest(DEFAULT_MANIFEST);
    for (const name of readdirSync(source.directory)) copyFileSync(join(source.directory, name), join(dir, name));
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { models: { vad: { sha256: string } } };
    manifest.models.vad.sha256 = '0'.repeat(64);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await assert.rejects(InferencePool.create({ manifestPath: join(dir, 'manifest.json'), workers: 1 }), (e: unknown) => e instanceof AffectStreamError && e.code === 'model_checksum_mismatch' && /silero_vad_v5\.onnx/.test(e.message));
  });
});
