/**
 * `affectstream eval --audio` on espeak-ng speech saved under RAVDESS names: the JSON result is well
 * formed and `--actors` keeps only the named speakers; an empty folder and an unparsable name fail
 * with clear messages.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parseActors } from '../../src/cli/eval-audio-command.js';
import { parseRavdessName } from '../../src/tools/eval/ravdess-names.js';
import { execFileAsync, ROOT, runCli, tempDir } from '../../src/tools/harness/media.js';

const TRAINED = join(ROOT, 'models', 'trained', 'manifest.json');

// Emotion 05 angry by actor 17, 03 happy by actor 18, 04 sad by actor 17; 01 neutral by actor 02 (filtered out).
const FILES = [
  ['Actor_17', '03-01-05-02-01-01-17.wav', 'Get out of here right now, I am furious with you.'],
  ['Actor_18', '03-01-03-01-02-01-18.wav', 'What a wonderful day, I am so glad you came.'],
  ['Actor_17', '03-01-04-01-01-02-17.wav', 'I miss her so much, nothing feels right anymore.'],
  ['Actor_02', '03-01-01-01-01-01-02.wav', 'Kids are talking by the door.'],
] as const;

describe('eval --audio', () => {
  let root: string;
  before(async () => {
    root = tempDir();
    for (const [actor, name, text] of FILES) {
      mkdirSync(join(root, actor), { recursive: true });
      await execFileAsync('espeak-ng', ['-w', join(root, actor, name), text]);
    }
  });

  it('parses RAVDESS names and actor lists', () => {
    assert.deepEqual(parseRavdessName('/x/03-01-02-02-01-01-17.flac'), { emotion: 'calm', abaw: 'Neutral', intensity: 2, statement: 1, repetition: 1, actor: 17 });
    assert.throws(() => parseRavdessName('/x/speech.wav'), /not a RAVDESS file name/);
    assert.throws(() => parseRavdessName('/x/03-01-09-01-01-01-01.wav'), /not a RAVDESS file name/);
    assert.deepEqual([...parseActors('17-19,2')].sort((a, b) => a - b), [2, 17, 18, 19]);
    assert.throws(() => parseActors('x'), /--actors/);
  });

  it('scores the held-out actors\' files and writes a well-formed JSON result and report', async () => {
    const out = join(tempDir(), 'result.json');
    const report = out.replace(/json$/, 'html');
    const run = await runCli(['eval', '--audio', root, '--actors', '17,18', '--models', TRAINED, '--workers', '1', '--out', out, '--report', report], { timeoutMs: 180_000 });
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(readFileSync(out, 'utf8')) as Record<string, any>;
    assert.equal(result.task, 'audio');
    assert.deepEqual(result.actors, [17, 18]);
    assert.equal(result.scores.count, 3);
    assert.equal(result.files.length, 3);
    assert.deepEqual(result.files.map((f: { emotion: string }) => f.emotion), ['sad', 'angry', 'happy']);
    assert.equal(result.sources['speech-model'], 3, 'every file was predicted by the speech model');
    assert.equal(result.scores.confusion.length, 8);
    assert.ok(result.scores.confusion.every((row: number[]) => row.length === 8));
    assert.equal(result.scores.confusion.flat().reduce((a: number, b: number) => a + b, 0), 3);
    assert.ok(result.scores.accuracy >= 0 && result.scores.accuracy <= 1);
    assert.ok(result.scores.macroF1 >= 0 && result.scores.macroF1 <= 1);
    assert.equal(typeof result.ravdessAccuracy, 'number');
    assert.equal(result.pack.name, 'trained');
    assert.match(readFileSync(report, 'utf8'), /Confusion matrix/);
    assert.match(run.stderr, /accuracy [\d.]+, macro-F1 [\d.]+, 8-class RAVDESS accuracy [\d.]+ over 3 files/);
  });

  it('fails clearly on an empty folder and on a name that is not RAVDESS', async () => {
    const empty = tempDir();
    const none = await runCli(['eval', '--audio', empty, '--models', TRAINED, '--workers', '1']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no audio files under/);
    const odd = tempDir();
    writeFileSync(join(odd, 'speech.wav'), readFileSync(join(root, ...FILES[0].slice(0, 2))));
    const bad = await runCli(['eval', '--audio', odd, '--models', TRAINED, '--workers', '1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /speech\.wav: not a RAVDESS file name/);
  });
});
