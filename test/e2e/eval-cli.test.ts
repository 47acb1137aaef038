/**
 * `affectstream eval` on a small labelled folder cut from face-api's demo photos: the pack's verdict
 * on a clearly smiling face is Happiness, and the JSON and HTML reports carry the scores.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ffmpeg, photo, runCli, tempDir } from '../../src/tools/harness/media.js';

describe('affectstream eval', () => {
  let dir: string;
  before(async () => {
    dir = tempDir();
    mkdirSync(join(dir, 'faces', 'happy'), { recursive: true });
    // Three tight crops of the smiling woman's face in sample3 (data sets of faces are cropped to the face).
    for (const [i, crop] of ['300:300:1455:300', '280:280:1465:310', '320:320:1445:290'].entries()) {
      await ffmpeg(['-i', photo('sample3.jpg'), '-vf', `crop=${crop},scale=96:96,format=gray`, join(dir, 'faces', 'happy', `smile-${i}.jpg`)]);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('scores a folder of labelled faces and writes JSON and an HTML report', async () => {
    const out = join(dir, 'result.json');
    const report = join(dir, 'report.html');
    const { code, stderr } = await runCli(['eval', '--images', join(dir, 'faces'), '--out', out, '--report', report]);
    assert.equal(code, 0, stderr);
    const result = JSON.parse(readFileSync(out, 'utf8')) as { scores: { count: number; accuracy: number; macroF1: number; perClassF1: Record<string, number> } };
    assert.equal(result.scores.count, 3);
    assert.equal(result.scores.accuracy, 1);
    assert.equal(result.scores.perClassF1.Happiness, 1);
    const html = readFileSync(report, 'utf8');
    assert.match(html, /Confusion matrix/);
    assert.match(html, /macro-F1 <b>1\.0000<\/b>/);
  });

  it('refuses a class folder it cannot map to an ABAW class', async () => {
    mkdirSync(join(dir, 'bad', 'bored'), { recursive: true });
    const { code, stderr } = await runCli(['eval', '--images', join(dir, 'bad')]);
    assert.equal(code, 1);
    assert.match(stderr, /invalid_argument: .*bored/);
  });
});
