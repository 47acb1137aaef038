/**
 * How fast `analyze` runs offline: now the suite's `offline` scenario (src/tools/bench/scenarios/offline.ts),
 * kept under its old name and flags.
 *
 *   node dist/src/tools/bench/standalone/offline-speed.js [--faces 1|3] [--runs 3]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './clips.js';

const { values } = parseArgs({ options: { faces: { type: 'string', default: '1' }, runs: { type: 'string', default: '3' } } });
const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'affectstream.cjs'), 'bench', 'offline', '--faces', values.faces, '--runs', values.runs], { stdio: 'inherit' });
process.exit(result.status ?? 1);
