import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AffectEvent, StreamEvent } from '../../src/core/events.js';
import { makeSmileThenEmptyClip, parseNdjson, ROOT, runCli, tempDir } from '../../src/tools/harness/media.js';

describe('affectstream analyze', () => {
  let dir: string;
  let clip: string;
  before(async () => {
    dir = tempDir();
    clip = await makeSmileThenEmptyClip(join(dir, 'smile-then-empty.mp4'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one event per second: Happiness while the smiling face shows, no face after', async () => {
    const { code, stdout, stderr } = await runCli(['analyze', clip]);
    assert.equal(code, 0, stderr);
    const events = parseNdjson<StreamEvent>(stdout);
    const affect = events.filter((e): e is AffectEvent => e.type === 'affect');
    assert.equal(affect.length, 20);
    affect.forEach((e, i) => {
      assert.equal(e.stream, 'smile-then-empty.mp4');
      assert.equal(e.seq, i);
      assert.equal(e.start, i);
      assert.equal(e.end, i + 1);
      assert.ok(e.latency_ms >= 0);
      if (i < 10) {
        assert.equal(e.expression?.label, 'Happiness', `second ${i}: ${JSON.stringify(e.expression)}`);
        assert.ok(e.faces.length >= 1 && e.weights.face > 0, `second ${i} has a face`);
        assert.ok(e.valence !== null && e.valence > 0.3, `second ${i} valence ${e.valence}`);
        for (const value of [...e.faces[0]!.box, e.valence!, e.arousal!]) assert.ok(value >= -1 && value <= 1);
      } else {
        assert.equal(e.weights.face, 0, `second ${i} face weight`);
        assert.deepEqual(e.faces, [], `second ${i} faces`);
        // Without a face, a second with speech gets the voice's expression (no valence); one without either has none.
        if (e.weights.voice === 0) assert.equal(e.expression, null, `second ${i}: neither face nor speech`);
        else assert.equal(e.valence, null, `second ${i}: no face, no valence`);
      }
      const probs = e.expression ? Object.values(e.expression.probs) : [];
      if (probs.length > 0) assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-3, 'probabilities sum to 1');
    });
    const speaking = affect.filter((e) => (e.voice?.speech_ratio ?? 0) > 0.3);
    assert.ok(speaking.length >= 4, `speech found in ${speaking.length} seconds`);
    assert.ok(affect.slice(10).some((e) => e.weights.voice === 1), 'with no face, a speaking second is all voice');
    assert.deepEqual(events.at(-1), { type: 'status', stream: 'smile-then-empty.mp4', state: 'ended', windows: 20, tracks: { video: true, audio: true } });
  });

  it('writes the same events to a file with --out', async () => {
    const out = join(dir, 'events.ndjson');
    const { code, stdout } = await runCli(['analyze', clip, '--out', out, '--stream', 'cam-1']);
    assert.equal(code, 0);
    assert.equal(stdout, '');
    const events = parseNdjson<StreamEvent>(readFileSync(out, 'utf8'));
    assert.equal(events.filter((e) => e.type === 'affect').length, 20);
    assert.ok(events.every((e) => e.stream === 'cam-1'));
  });

  const badInputs: Array<{ what: string; make: () => string; code: string }> = [
    { what: 'a missing file', make: () => join(dir, 'nothing-here.mp4'), code: 'source_not_found' },
    {
      what: 'a file that is not media',
      make: () => {
        const path = join(dir, 'readme.mp4');
        writeFileSync(path, 'plain text, not a video\n'.repeat(200));
        return path;
      },
      code: 'unsupported_media',
    },
    {
      what: 'a truncated mp4',
      make: () => {
        const path = join(dir, 'truncated.mp4');
        writeFileSync(path, readFileSync(clip).subarray(0, 150_000));
        return path;
      },
      code: 'corrupt_media',
    },
    { what: 'an unreachable URI', make: () => 'http://127.0.0.1:9/clip.mp4', code: 'source_unreachable' },
  ];
  for (const bad of badInputs) {
    it(`exits non-zero with a one-line error for ${bad.what}`, async () => {
      const { code, stdout, stderr } = await runCli(['analyze', bad.make()]);
      assert.equal(code, 1);
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, new RegExp(`^affectstream: error: ${bad.code}: `));
      const events = parseNdjson<StreamEvent>(stdout);
      assert.ok(events.some((e) => e.type === 'error' && e.code === bad.code), stdout);
    });
  }

  it('reports a model that fails at run time as error events of the windows it hit, and goes on', async () => {
    const { cpSync, readFileSync: read, writeFileSync: write } = await import('node:fs');
    const pack = join(dir, 'broken-pack');
    cpSync(join(ROOT, 'models', 'default'), pack, { recursive: true });
    const manifest = JSON.parse(read(join(pack, 'manifest.json'), 'utf8')) as { models: { expression: Array<{ inputSize: number }> } };
    // The model takes 64×64 crops; feeding it 48×48 makes every run fail inside ONNX Runtime.
    manifest.models.expression[0]!.inputSize = 48;
    write(join(pack, 'manifest.json'), JSON.stringify(manifest));
    const { code, stdout, stderr } = await runCli(['analyze', clip, '--models', join(pack, 'manifest.json')]);
    assert.equal(code, 1);
    assert.match(stderr, /^affectstream: error: model_failed: .*\(10 windows failed\)\n$/);
    const events = parseNdjson<StreamEvent>(stdout);
    const errors = events.filter((e) => e.type === 'error');
    assert.deepEqual(errors.map((e) => (e.type === 'error' ? [e.seq, e.code] : [])), Array.from({ length: 10 }, (_, i) => [i, 'model_failed']));
    const affect = events.filter((e): e is AffectEvent => e.type === 'affect');
    assert.deepEqual(affect.map((e) => e.seq), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19], 'the seconds without a face are still analysed');
    const last = events.at(-1);
    assert.ok(last?.type === 'status' && last.state === 'ended');
  });

  it('runs a different model pack declared only in its manifest: another detector, one expression model', async () => {
    const { cpSync, readFileSync: read, writeFileSync: write } = await import('node:fs');
    const pack = join(dir, 'other-pack');
    cpSync(join(ROOT, 'models', 'default'), pack, { recursive: true });
    type Manifest = { models: { faceDetector: Record<string, unknown>; expression: unknown[] } };
    const manifest = JSON.parse(read(join(pack, 'manifest.json'), 'utf8')) as Manifest;
    Object.assign(manifest.models.faceDetector, {
      file: 'face_detection_back_256x256_barracuda.onnx',
      sha256: '427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2',
      inputSize: 256,
      anchors: [{ stride: 16, perCell: 2 }, { stride: 32, perCell: 6 }],
    });
    manifest.models.expression = manifest.models.expression.slice(1);
    write(join(pack, 'manifest.json'), JSON.stringify(manifest));
    const { code, stdout, stderr } = await runCli(['analyze', clip, '--models', join(pack, 'manifest.json')]);
    assert.equal(code, 0, stderr);
    const affect = parseNdjson<StreamEvent>(stdout).filter((e): e is AffectEvent => e.type === 'affect');
    assert.equal(affect.length, 20);
    assert.ok(affect.slice(0, 10).every((e) => e.expression?.label === 'Happiness' && e.faces.length === 1));
    assert.ok(affect.slice(10).every((e) => e.faces.length === 0 && e.weights.face === 0));
  });

  it('ends quietly when its reader goes away mid-run (analyze | head)', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('../../src/tools/harness/media.js');
    const child = spawn(process.execPath, [CLI, 'analyze', clip, '--realtime'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    // Paced, the clip would take 20 s; a process that noticed its closed pipe is gone well before that.
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.doesNotMatch(stderr, /EPIPE|Error/);
  });

  it('rejects bad options with a clear message', async () => {
    const { code, stderr } = await runCli(['analyze', clip, '--fps', '0']);
    assert.equal(code, 1);
    assert.match(stderr, /--fps/);
  });
});
