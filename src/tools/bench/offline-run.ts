/** One measured offline run (in a child process): `analyze` on a file, as the command runs it. */
import { readFileSync } from 'node:fs';
import { runAnalyze } from '../../server/analyze-job.js';
import { parseAnalysisSettings } from '../../server/analysis-settings.js';

export interface OfflineRunParams {
  readonly clip: string;
  readonly out: string;
  readonly workers?: number;
}

export interface OfflineRunResult {
  readonly wallS: number;
  readonly cpuS: number;
  readonly peakRssMb: number;
  readonly windows: number;
  readonly mediaSeconds: number;
}

export async function offlineRun(params: OfflineRunParams): Promise<OfflineRunResult> {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const code = await runAnalyze({ source: params.clip, out: params.out, settings: parseAnalysisSettings(params.workers ? { workers: params.workers } : {}) });
  if (code !== 0) throw new Error(`analyze exited with ${code}`);
  const wallS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const affect = readFileSync(params.out, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"type":"affect"'))
    .map((line) => JSON.parse(line) as { start: number; end: number });
  return {
    wallS,
    cpuS: (cpu.user + cpu.system) / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    windows: affect.length,
    mediaSeconds: affect.reduce((s, e) => s + e.end - e.start, 0),
  };
}
