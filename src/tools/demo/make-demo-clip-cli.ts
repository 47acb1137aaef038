#!/usr/bin/env node
/**
 * Writes the set-up's demo clip (see makeDemoClip): `node dist/src/tools/demo/make-demo-clip-cli.js
 * [--out demo/demo.mp4] [--vendor models/vendor] [--force]`. An existing clip is kept unless --force.
 * Defaults are relative to the repository root; the photos come from `npm run models`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runMain } from '../../core/run-main.js';
import { DEMO_PHOTOS_DIR, makeDemoClip } from './make-demo-clip.js';

/** dist/src/tools/demo/ → repository root. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      vendor: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('Usage: node dist/src/tools/demo/make-demo-clip-cli.js [--out FILE] [--vendor DIR] [--force]');
    return 0;
  }
  const out = resolve(values.out ?? join(ROOT, 'demo', 'demo.mp4'));
  const vendor = resolve(values.vendor ?? join(ROOT, 'models', 'vendor'));
  if (!values.force && existsSync(out)) {
    console.log(`[demo] ${out} exists; kept (use --force to rebuild)`);
    return 0;
  }
  if (!existsSync(join(vendor, DEMO_PHOTOS_DIR, 'sample3.jpg'))) {
    console.error(`[demo] the demo photos are missing under ${join(vendor, DEMO_PHOTOS_DIR)}: run \`npm run models\` first`);
    return 1;
  }
  const started = Date.now();
  const r = await makeDemoClip(vendor, out);
  console.log(
    `[demo] wrote ${r.output}: ${r.durationSeconds.toFixed(3)} s (expected ${r.expectedSeconds} s; video ${r.videoSeconds.toFixed(3)} s, ` +
      `audio ${r.audioSeconds.toFixed(3)} s), segments at ${r.segmentStarts.join(', ')} s, ` +
      `speech ${r.speechSeconds.map((s) => s.toFixed(2)).join(', ')} s, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return 0;
}

runMain('demo', main);
