import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makePatternClip, ROOT, tempDir } from '../../src/tools/harness/media.js';

const CLI = join(ROOT, 'bin', 'affectstream.cjs');

// Each source's GStreamer bus is polled on a libuv pool thread; a pipeline stopped while that poll
// waited could strand the thread, and the process then hung at exit joining it (one run in two to
// five before the fix, with a dozen sources). Each run here must end on its own.
describe('a command that decoded many sources exits on its own', () => {
  let dir: string;
  before(async () => {
    dir = tempDir();
    const source = await makePatternClip(join(dir, 'source.flac'), { seconds: 2, video: false, audio: true, codecs: [] });
    for (const actor of ['01', '02', '03']) {
      for (const emotion of ['01', '03', '05', '08']) copyFileSync(source, join(dir, `03-01-${emotion}-01-01-01-${actor}.flac`));
    }
    rmSync(source);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const run of [1, 2, 3, 4, 5]) {
    it(`eval --audio over 12 files, run ${run}: exits with 0`, () => {
      // The timeout only detects a hang: a healthy run takes about a second.
      const result = spawnSync(process.execPath, [CLI, 'eval', '--audio', dir, '--workers', '1', '--out', join(dir, `result-${run}.json`)], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(result.error, undefined, `the process did not exit: ${String(result.error)}\n${result.stderr}`);
      assert.equal(result.status, 0, result.stderr);
    });
  }
});
