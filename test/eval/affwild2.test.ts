/**
 * Aff-Wild2-format annotations and `affectstream eval --affwild2`: the parsers refuse malformed files
 * with the file and line, windows take the majority label and mean VA of their frames, a set whose
 * annotation has no video or another length is refused, and a generated clip with annotations written
 * here goes through the CLI to a well-formed JSON with CCC values and an HTML report with SVG plots.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeFaceClip } from '../../src/tools/demo/make-demo-clip.js';
import { parseExprAnnotation, parseVaAnnotation, windowExpression, windowValenceArousal } from '../../src/tools/eval/affwild2-annotations.js';
import { loadAffWild2Set } from '../../src/tools/eval/affwild2-set.js';
import { NO_FACE, photo, runCli, SMILING_FACE, tempDir } from '../../src/tools/harness/media.js';

const EXPR_HEADER = 'Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other';

describe('Aff-Wild2 annotation files', () => {
  it('reads EXPR and VA files (invalid and unannotated frames kept as such)', () => {
    assert.deepEqual(Array.from(parseExprAnnotation(`${EXPR_HEADER}\n4\n-1\n0\n7\n`)), [4, -1, 0, 7]);
    const va = parseVaAnnotation('valence,arousal\r\n0.5,-0.25\r\n-5,-5\r\n');
    assert.deepEqual(Array.from(va.valence), [0.5, Number.NaN]);
    assert.deepEqual(Array.from(va.arousal), [-0.25, Number.NaN]);
  });

  it('refuses malformed files, naming the file and line', () => {
    assert.throws(() => parseExprAnnotation('Neutral,Anger\n1\n', 'a.txt'), /a\.txt:1: header/);
    assert.throws(() => parseExprAnnotation(`${EXPR_HEADER}\n1\n8\n`, 'a.txt'), /a\.txt:3: class index 8 is out of range/);
    assert.throws(() => parseExprAnnotation(`${EXPR_HEADER}\nhappy\n`, 'a.txt'), /a\.txt:2: "happy" is not a class index/);
    assert.throws(() => parseExprAnnotation(`${EXPR_HEADER}\n`, 'a.txt'), /a\.txt:2: no frames/);
    assert.throws(() => parseExprAnnotation('', 'a.txt'), /a\.txt:1: empty file/);
    assert.throws(() => parseVaAnnotation('arousal,valence\n0,0\n', 'v.txt'), /v\.txt:1: header/);
    assert.throws(() => parseVaAnnotation('valence,arousal\n0.1\n', 'v.txt'), /v\.txt:2: "0\.1" is not "valence,arousal"/);
    assert.throws(() => parseVaAnnotation('valence,arousal\n0.1,0.2\n1.5,0\n', 'v.txt'), /v\.txt:3: valence\/arousal 1\.5,0 outside \[-1, 1\]/);
  });

  it('labels a window by its frames: majority valid class, mean valid VA', () => {
    // 10 fps: frames 1–10 are the first second, 11–20 the second.
    const expr = parseExprAnnotation(`${EXPR_HEADER}\n${[4, 4, 4, 0, 0, -1, -1, -1, -1, -1, ...Array(10).fill(-1)].join('\n')}\n`);
    assert.equal(windowExpression(expr, 10, 0, 1), 4);
    assert.equal(windowExpression(expr, 10, 1, 2), -1);
    const va = parseVaAnnotation(`valence,arousal\n0.2,0.4\n0.4,0.0\n${Array(8).fill('-5,-5').join('\n')}\n${Array(10).fill('-5,-5').join('\n')}\n`);
    const first = windowValenceArousal(va, 10, 0, 1)!;
    assert.ok(Math.abs(first.valence - 0.3) < 1e-6 && Math.abs(first.arousal - 0.2) < 1e-6);
    assert.equal(windowValenceArousal(va, 10, 1, 2), null);
  });
});

describe('affectstream eval --affwild2', () => {
  let dir: string;
  let set: string;
  // 6 s at 30 fps: 3 s of a smiling face while a sentence is spoken, then 3 s of an empty room in silence.
  const FPS = 30;
  const FRAMES = 180;
  before(async () => {
    dir = tempDir();
    set = join(dir, 'set');
    mkdirSync(join(set, 'videos'), { recursive: true });
    mkdirSync(join(set, 'annotations', 'EXPR_Classification_Challenge', 'Validation_Set'), { recursive: true });
    mkdirSync(join(set, 'annotations', 'VA_Estimation_Challenge', 'Validation_Set'), { recursive: true });
    await makeFaceClip({
      output: join(set, 'videos', 'smile.mp4'),
      fps: FPS,
      width: 640,
      height: 360,
      segments: [
        { ...SMILING_FACE, image: photo('sample3.jpg'), seconds: 3, speech: 'I am so happy today.' },
        { ...NO_FACE, image: photo('sample2.jpg'), seconds: 3 },
      ],
    });
    // Happiness then Neutral, the first frames invalid; VA high then neutral, a stretch unannotated.
    const expr = Array.from({ length: FRAMES }, (_, i) => (i < 5 ? -1 : i < 90 ? 4 : 0));
    writeFileSync(join(set, 'annotations', 'EXPR_Classification_Challenge', 'Validation_Set', 'smile.txt'), `${EXPR_HEADER}\n${expr.join('\n')}\n`);
    const va = Array.from({ length: FRAMES }, (_, i) => (i >= 100 && i < 120 ? '-5,-5' : i < 90 ? `${(0.6 + i / 900).toFixed(3)},0.4` : `${(0.1 - i / 1800).toFixed(3)},-0.1`));
    writeFileSync(join(set, 'annotations', 'VA_Estimation_Challenge', 'Validation_Set', 'smile.txt'), `valence,arousal\n${va.join('\n')}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('scores the set per second and writes JSON with CCC and an HTML report with the confusion matrix and VA plots', async () => {
    const out = join(dir, 'result.json');
    const report = join(dir, 'report.html');
    const { code, stderr } = await runCli(['eval', '--affwild2', set, '--out', out, '--report', report, '--workers', '1'], { timeoutMs: 180_000 });
    assert.equal(code, 0, stderr);
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      videos: Array<{ name: string; fps: number; frames: number; windows: Array<{ label: string | null; valence: number | null; predicted: string | null }> }>;
      expression: { count: number; accuracy: number; macroF1: number; perClassF1: Record<string, number>; confusion: number[][] };
      valence: { count: number; ccc: number };
      arousal: { count: number; ccc: number };
      missing: { expression: number; valence: number; arousal: number };
    };
    assert.equal(result.videos.length, 1);
    const video = result.videos[0]!;
    assert.equal(video.name, 'smile');
    assert.equal(video.fps, 30);
    assert.equal(video.windows.length, 6);
    assert.deepEqual(video.windows.map((w) => w.label), ['Happiness', 'Happiness', 'Happiness', 'Neutral', 'Neutral', 'Neutral']);
    assert.equal(result.expression.count, 6);
    assert.equal(result.expression.confusion.flat().reduce((a, b) => a + b, 0), 6);
    assert.ok(result.expression.accuracy >= 0 && result.expression.accuracy <= 1);
    assert.ok('Happiness' in result.expression.perClassF1 && 'Neutral' in result.expression.perClassF1);
    assert.equal(result.valence.count, 6);
    for (const s of [result.valence, result.arousal]) assert.ok(Number.isFinite(s.ccc) && s.ccc >= -1 && s.ccc <= 1, `CCC ${s.ccc}`);
    // The empty room has no face: no valence there, scored as 0 and counted.
    assert.ok(result.missing.valence >= 3);
    const html = readFileSync(report, 'utf8');
    assert.match(html, /Confusion matrix/);
    assert.match(html, /<svg class="va-scatter"/);
    assert.match(html, /<svg class="va-plot"[^>]*aria-label="smile"/);
    assert.match(html, /<path d="M[^"]+"/);
    assert.match(html, /CCC valence <b>-?\d\.\d{4}<\/b>/);
  });

  it('refuses an annotation without its video, and one whose length does not match the video', async () => {
    const orphan = join(dir, 'orphan');
    mkdirSync(join(orphan, 'EXPR'), { recursive: true });
    mkdirSync(join(orphan, 'videos'), { recursive: true });
    writeFileSync(join(orphan, 'EXPR', 'missing.txt'), `${EXPR_HEADER}\n0\n`);
    writeFileSync(join(orphan, 'videos', 'other.mp4'), readFileSync(join(set, 'videos', 'smile.mp4')));
    await assert.rejects(loadAffWild2Set(orphan), /no video for annotation .*missing\.txt/);
    writeFileSync(join(orphan, 'EXPR', 'missing.txt'), `${EXPR_HEADER}\n${Array(400).fill(0).join('\n')}\n`);
    writeFileSync(join(orphan, 'videos', 'missing.mp4'), readFileSync(join(set, 'videos', 'smile.mp4')));
    await assert.rejects(loadAffWild2Set(orphan), /has 400 frames but .*missing\.mp4 has 180/);
    const { code, stderr } = await runCli(['eval', '--affwild2', join(dir, 'nowhere')]);
    assert.equal(code, 1);
    assert.match(stderr, /source_not_found: Aff-Wild2 folder not found/);
    const both = await runCli(['eval', '--affwild2', set, '--images', set]);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /invalid options: give one of .*--affwild2 <dir>/);
  });
});
