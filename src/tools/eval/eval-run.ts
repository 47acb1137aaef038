/**
 * What every `affectstream eval` mode shares: the pack's engine for one evaluation (closed whatever
 * happens), the JSON result with the pack named (to --out or stdout), the optional HTML report and a
 * one-line summary on stderr.
 */
import { writeFileSync } from 'node:fs';
import { logger } from '../../core/logger.js';
import { loadManifest, type LoadedManifest } from '../../models/manifest.js';
import { InferenceEngine } from '../../pipeline/inference-engine.js';
import { engineOptionsOf, type AnalysisSettings } from '../../server/analysis-settings.js';

export interface EvalOutputs {
  readonly out?: string;
  readonly report?: string;
  readonly settings: AnalysisSettings;
}

export interface EvalPresentation<R> {
  readonly report: (result: R, packLabel: string) => string;
  readonly summary: (result: R) => string;
}

export async function runPackEvaluation<R extends object>(
  command: EvalOutputs,
  evaluate: (pack: LoadedManifest, engine: InferenceEngine) => Promise<R>,
  present: EvalPresentation<R>,
): Promise<number> {
  const pack = loadManifest(command.settings.models);
  const engine = await InferenceEngine.create(engineOptionsOf(command.settings));
  try {
    const result = await evaluate(pack, engine);
    const json = JSON.stringify({ ...result, pack: { name: pack.manifest.name, version: pack.manifest.version, manifest: command.settings.models } }, null, 2);
    if (command.out) writeFileSync(command.out, `${json}\n`);
    else process.stdout.write(`${json}\n`);
    if (command.report) writeFileSync(command.report, present.report(result, `model pack ${pack.manifest.name} ${pack.manifest.version}`));
    process.stderr.write(`${present.summary(result)}\n`);
    return 0;
  } finally {
    await engine.close();
  }
}

/** Progress for long evaluations: the first and last call and at most one line per 5 s between. */
export function progressLogger(what: string): (done: number, total: number) => void {
  let lastLog = 0;
  return (done, total) => {
    if (done === total || performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      logger.info({ done, total }, what);
    }
  };
}
