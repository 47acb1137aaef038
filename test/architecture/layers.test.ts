/**
 * The direction of imports between layers, checked on the real tree: data flows ingest → pipeline →
 * fusion → sink, shared types live in core below all of them, and the runtime never reaches into the
 * tools or the tests. A layer may import itself and layers of a lower rank; layers of the same rank
 * (ingest and models, server and client) are independent of each other.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { ROOT, tempDir } from '../../src/tools/harness/media.js';

/** Rank of each top-level folder of src/ (and of src/index.ts, the package's public face). */
const LAYERS: Readonly<Record<string, number>> = Object.freeze({
  core: 0,
  ingest: 1,
  models: 1,
  pipeline: 2,
  fusion: 3,
  sink: 4,
  server: 5,
  client: 5,
  tools: 6,
  cli: 7,
  'index.ts': 8,
});

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** src-relative layer of a path inside src/, or null outside it. */
function layerOf(srcRoot: string, path: string): string | null {
  const rel = relative(srcRoot, path);
  if (rel.startsWith('..')) return null;
  return rel.split(sep)[0]!;
}

/** Every relative import, re-export and dynamic import of every file under root/src that breaks the direction. */
function layerViolations(root: string): Violation[] {
  const srcRoot = join(root, 'src');
  const violations: Violation[] = [];
  for (const file of sourceFiles(srcRoot)) {
    const from = layerOf(srcRoot, file)!;
    const fromRank = LAYERS[from];
    const name = relative(root, file);
    if (fromRank === undefined) {
      violations.push({ from: name, to: '', why: `folder src/${from} has no layer: add it to LAYERS` });
      continue;
    }
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName);
      const to = layerOf(srcRoot, target);
      const toName = relative(root, target);
      if (to === null) {
        violations.push({ from: name, to: toName, why: 'src/ imports from outside src/ (tests or scripts)' });
        continue;
      }
      if (to === from) continue;
      const toRank = LAYERS[to];
      if (toRank === undefined || toRank >= fromRank) {
        violations.push({ from: name, to: toName, why: `${from} (rank ${fromRank}) may not import ${to} (rank ${toRank ?? 'none'})` });
      }
    }
  }
  return violations;
}

function write(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

describe('layers', () => {
  it('every import in src/ runs with the direction core ← ingest, models ← pipeline ← fusion ← sink ← server ← tools ← cli', () => {
    const violations = layerViolations(ROOT);
    assert.deepEqual(violations, [], violations.map((v) => `${v.from} → ${v.to}: ${v.why}`).join('\n'));
  });

  it('fails on an import against the direction, between siblings, into the tests, and from an unplaced folder', () => {
    const root = tempDir('affectstream-layers-');
    write(root, 'src/core/events.ts', "import { x } from '../server/serve.js';\nexport const y = x;\n");
    write(root, 'src/pipeline/windower.ts', "export { fuse } from '../fusion/window-fusion.js';\n");
    write(root, 'src/ingest/source.ts', "import type { Manifest } from '../models/manifest.js';\n");
    write(root, 'src/tools/bench/run.ts', "import { startServe } from '../../../test/helpers/webrtc.js';\n");
    write(root, 'src/server/lazy.ts', "const cli = await import('../cli/main.js');\n");
    write(root, 'src/extras/thing.ts', 'export const z = 1;\n');
    write(root, 'src/fusion/ok.ts', "import { a } from '../pipeline/windower.js';\nimport { b } from './other.js';\nimport { c } from 'rxjs';\n");
    const found = layerViolations(root).map((v) => `${v.from} → ${v.to}`);
    assert.deepEqual(found.sort(), [
      'src/core/events.ts → src/server/serve.js',
      'src/extras/thing.ts → ',
      'src/ingest/source.ts → src/models/manifest.js',
      'src/pipeline/windower.ts → src/fusion/window-fusion.js',
      'src/server/lazy.ts → src/cli/main.js',
      'src/tools/bench/run.ts → test/helpers/webrtc.js',
    ]);
  });
});
