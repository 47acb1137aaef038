/** Entry of a measured child run (see child.ts): `node child-main.js <mode> <params JSON>`. */
import { floorRun, pullRun } from './decode-floor.js';
import { liveRun } from './live-run.js';
import { offlineRun } from './offline-run.js';
import { affectstreamFaceRun, humanFaceRun } from './peer-run.js';

const runs: Record<string, (params: never) => Promise<unknown>> = {
  live: liveRun,
  floor: floorRun,
  pull: pullRun,
  offline: offlineRun,
  'peer-affectstream': affectstreamFaceRun,
  'peer-human': humanFaceRun,
};

const [mode = '', params = '{}'] = process.argv.slice(2);
const run = runs[mode];
if (!run) {
  process.stderr.write(`unknown bench run: ${mode}\n`);
  process.exit(2);
}
try {
  const result = await run(JSON.parse(params) as never);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // GStreamer's bus watcher threads do not end on their own.
  process.exit(0);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
