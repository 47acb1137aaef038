import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir } from '../../src/tools/harness/media.js';

describe('affectstream bench', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const refused: Array<{ args: string[]; says: RegExp }> = [
    { args: ['bench', 'speed'], says: /unknown scenario "speed": choose from latency, capacity, floor, peer, offline or all/ },
    { args: ['bench', 'capacity', '--streams', '4,2'], says: /--streams: stream counts must rise/ },
    { args: ['bench', 'capacity', '--streams', '1,x'], says: /--streams: a whole number from 1 to 128, got x/ },
    { args: ['bench', 'peer', '--frames', '0'], says: /--frames: a whole number from 5 to 2000, got 0/ },
    { args: ['bench', 'latency', '--latency-seconds', '2.5'], says: /--latency-seconds: a whole number from 4 to 3600/ },
    { args: ['bench', 'offline', '--faces', '2'], says: /--faces: 1 or 3, got 2/ },
  ];
  for (const { args, says } of refused) {
    it(`refuses ${args.slice(1).join(' ')} with invalid_argument before measuring anything`, async () => {
      const { code, stdout, stderr } = await runCli([...args, '--out', dir, '--cache', dir], { timeoutMs: 30_000 });
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.match(stderr, /^affectstream: error: invalid_argument: /);
      assert.match(stderr, says);
    });
  }

  it('latency: a short paced run prints its table last and writes JSON with machine facts, stage percentiles and a CDF plot', async () => {
    const out = join(dir, 'results');
    const { code, stdout, stderr } = await runCli(['bench', 'latency', '--latency-seconds', '5', '--out', out, '--cache', dir], { timeoutMs: 120_000 });
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split('\n');
    assert.match(lines.at(-1)!, /^written: .*latency-.*\.json, .*latency-.*-cdf\.svg$/);
    assert.ok(lines.some((l) => l.startsWith('latency_ms (event)')), stdout);
    const files = readdirSync(out);
    const jsonFile = files.find((f) => f.endsWith('.json'));
    const svgFile = files.find((f) => f.endsWith('-cdf.svg'));
    assert.ok(jsonFile && svgFile, files.join(', '));
    const result = JSON.parse(readFileSync(join(out, jsonFile), 'utf8')) as Record<string, any>;
    assert.equal(result.scenario, 'latency');
    for (const key of ['cpu', 'cores', 'node', 'onnxruntime']) assert.ok(result.machine[key], `machine.${key}`);
    assert.equal(result.settings.provider, 'CPUExecutionProvider');
    assert.equal(typeof result.load.otherCores, 'number');
    // 5 windows, the first two (start-up) left out.
    assert.equal(result.windowsCounted, 3);
    for (const stage of ['decode', 'queue', 'inference', 'fusion', 'send', 'latency', 'total', 'endToEnd']) {
      const s = result.stagesMs[stage];
      assert.ok(s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max, `${stage}: ${JSON.stringify(s)}`);
    }
    assert.equal(typeof result.targets.met, 'boolean');
    const svg = readFileSync(join(out, svgFile), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /latency_ms \(event\)/);
    assert.ok((svg.match(/<path /g) ?? []).length >= 7, 'one CDF per stage and the totals');
  });
});
