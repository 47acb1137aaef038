// Runs every compiled test file under dist/test with Node's test runner. Node 20's runner takes
// file paths, not globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const filter = process.argv[2];
const files = testFiles('dist/test').filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error('no compiled tests found under dist/test: run `npm run build` first');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
  env: { UV_THREADPOOL_SIZE: '64', ...process.env },
});
process.exit(result.status ?? 1);
